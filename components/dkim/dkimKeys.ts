import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { dkimRsaGeneratedBits } from "../../baseline/keys";

export interface DkimKeysArgs {
  /** Every published selector: the active one and those still published for rotation. */
  readonly selectors: readonly string[];
}

/** One RSA signing key per published selector; the private halves are Pulumi secrets. */
export class DkimKeys extends pulumi.ComponentResource {
  readonly publicKeyPems: Readonly<Record<string, pulumi.Output<string>>>;
  readonly privateKeyPems: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: DkimKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:DkimKeys", name, {}, opts);
    const publicKeyPems: Record<string, pulumi.Output<string>> = {};
    const privateKeyPems: Record<string, pulumi.Output<string>> = {};
    for (const selector of args.selectors) {
      const key = new tls.PrivateKey(`${name}-${selector}`, {
        algorithm: "RSA",
        rsaBits: dkimRsaGeneratedBits,
      }, { parent: this });
      publicKeyPems[selector] = key.publicKeyPem;
      privateKeyPems[selector] = pulumi.secret(key.privateKeyPem);
    }
    this.publicKeyPems = publicKeyPems;
    this.privateKeyPems = privateKeyPems;
    this.registerOutputs({ publicKeyPems });
  }
}

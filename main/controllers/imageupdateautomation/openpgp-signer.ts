/**
 * OpenPGP commit signing for `git.commit.signingKey` (type gpg): the secret's `git.asc` (an armored private key) and
 * optional `passphrase`, as Flux reads them. The signature is a detached, armored, binary-mode signature over the
 * commit text, what `gpg -bsa` gives git, so `git verify-commit` checks it with the public key. openpgp (about 400 kB
 * minified) is loaded on the first signing key, not at start-up: most automations do not sign.
 */
import type * as OpenPgp from 'openpgp';

/** The key cannot sign: not a private key, encrypted without a passphrase, or the passphrase is wrong. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

export type CommitSigner = (payload: string) => Promise<string>;

export async function openpgpSigner(
  armoredKey: string | undefined,
  passphrase: string | undefined,
): Promise<CommitSigner> {
  if (!armoredKey?.trim()) throw new SigningKeyError("the secret has no 'git.asc' (an armored OpenPGP private key)");
  const openpgp = await import('openpgp');
  let key: OpenPgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey });
  } catch (err) {
    throw new SigningKeyError(`'git.asc' is not an armored OpenPGP private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!key.isDecrypted()) {
    if (!passphrase)
      throw new SigningKeyError("the private key in 'git.asc' is encrypted and the secret has no 'passphrase'");
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (err) {
      throw new SigningKeyError("the 'passphrase' does not decrypt the private key in 'git.asc'", { cause: err });
    }
  }
  const signingKey = key;
  return async (payload) =>
    (await openpgp.sign({
      message: await openpgp.createMessage({ binary: Buffer.from(payload, 'utf8') }),
      signingKeys: signingKey,
      detached: true,
      format: 'armored',
    })) as string;
}

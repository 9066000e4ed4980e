import { createMessage, generateKey, readKey, readSignature, verify } from 'openpgp';
import { describe, expect, it } from 'vitest';

import { openpgpSigner, SigningKeyError } from '../../../../main/controllers/imageupdateautomation/openpgp-signer.ts';

describe('openpgpSigner', () => {
  it('makes a detached armored signature over the commit text that the public key verifies', async () => {
    const { privateKey, publicKey } = await generateKey({
      userIDs: [{ email: 'bot@example.com' }],
      passphrase: 'pw',
      format: 'armored',
    });
    const sign = await openpgpSigner(privateKey, 'pw');
    const payload = 'tree x\n\nmessage\n';
    const armored = await sign(payload);
    expect(armored).toMatch(/^-----BEGIN PGP SIGNATURE-----/);
    const check = async (text: string): Promise<boolean> => {
      const { signatures } = await verify({
        message: await createMessage({ binary: Buffer.from(text) }),
        signature: await readSignature({ armoredSignature: armored }),
        verificationKeys: (await readKey({ armoredKey: publicKey })).toPublic(),
      });
      return signatures[0]!.verified.then(
        () => true,
        () => false,
      );
    };
    expect(await check(payload)).toBe(true);
    expect(await check('tree x\n\nother\n')).toBe(false);
  });

  it('says what is wrong with a key that cannot sign', async () => {
    const { privateKey, publicKey } = await generateKey({
      userIDs: [{ email: 'bot@example.com' }],
      passphrase: 'pw',
      format: 'armored',
    });
    await expect(openpgpSigner(undefined, undefined)).rejects.toThrow(/the secret has no 'git.asc'/);
    await expect(openpgpSigner('not a key', undefined)).rejects.toThrow(SigningKeyError);
    await expect(openpgpSigner(publicKey, undefined)).rejects.toThrow(/not an armored OpenPGP private key/);
    await expect(openpgpSigner(privateKey, undefined)).rejects.toThrow(/encrypted and the secret has no 'passphrase'/);
    await expect(openpgpSigner(privateKey, 'wrong')).rejects.toThrow(/'passphrase' does not decrypt/);
  });
});

# key/signature cases made by securesystemslib 1.4 (CryptoSigner)
import json
from securesystemslib.signer import CryptoSigner, SSlibKey
from securesystemslib.formats import encode_canonical
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
msg = encode_canonical({"a": [1, "é"], "b": None, "c": {"z": True, "y": 10**30}}).encode()
out = []
for priv, scheme in [(ed25519.Ed25519PrivateKey.generate(), None), (ec.generate_private_key(ec.SECP256R1()), None), (ec.generate_private_key(ec.SECP384R1()), "ecdsa-sha2-nistp384"), (rsa.generate_private_key(65537, 2048), None)]:
    pub = SSlibKey.from_crypto(priv.public_key(), scheme=scheme)
    if scheme == "ecdsa-sha2-nistp384":
        from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
        from cryptography.hazmat.primitives.hashes import SHA384
        sig = priv.sign(msg, ECDSA(SHA384())).hex()
    else:
        sig = CryptoSigner(priv, pub).sign(msg).signature
    pub.verify_signature(__import__("securesystemslib.signer", fromlist=["Signature"]).Signature(pub.keyid, sig), msg)
    out.append({"key": pub.to_dict(), "keyid": pub.keyid, "sig": sig})
print(json.dumps({"message": msg.decode(), "cases": out}, indent=1, ensure_ascii=False))

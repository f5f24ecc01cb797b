"""The phone in push tests: its own EC P-256 key pair (python3-cryptography), signing the
canonical message of API.md "Push approval"."""

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Phone:
    def __init__(self, curve=None):
        self.key = ec.generate_private_key(curve or ec.SECP256R1())
        self.device_id = None

    @property
    def pem(self):
        return public_pem(self.key)

    def sign(self, challenge, decision, number=None):
        lines = ["hsm2fa-push-v1", challenge["challenge_id"], challenge["nonce"],
                 challenge["tenant"], challenge["user"], challenge["origin"],
                 challenge["expires_at"], decision, "" if number is None else str(number)]
        der = self.key.sign("\n".join(lines).encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(der).decode()

    def answer(self, challenge, decision, number=None, sign_number=None):
        body = {"device_id": self.device_id, "decision": decision,
                "signature": self.sign(challenge, decision,
                                       number if sign_number is None else sign_number)}
        if number is not None:
            body["number"] = number
        return body


def rsa_pem():
    return public_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))

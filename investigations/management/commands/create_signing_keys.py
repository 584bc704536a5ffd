"""Create a development key pair for Celery message signing.

Writes a private key and a self-signed certificate where the settings expect them
(var/signing/ by default). For production, use keys from your own PKI.
"""

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create a private key and self-signed certificate for Celery message signing."

    def add_arguments(self, parser):
        default_dir = Path(settings.VAR_DIR) / "signing"
        parser.add_argument(
            "--dir", default=str(default_dir), help="Where to write worker.key and worker.crt"
        )
        parser.add_argument("--name", default="worker", help="File name stem (default: worker)")
        parser.add_argument("--force", action="store_true", help="Replace existing files")
        parser.add_argument("--days", type=int, default=365)

    def handle(self, *args, **options):
        directory = Path(options["dir"])
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / f"{options['name']}.key"
        cert_path = directory / f"{options['name']}.crt"
        if (key_path.exists() or cert_path.exists()) and not options["force"]:
            raise CommandError(f"{key_path} or {cert_path} exists; pass --force to replace them")

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, f"osint-platform {options['name']}")]
        )
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=options["days"]))
            .sign(key, hashes.SHA256())
        )
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self.stdout.write(f"Wrote {key_path} and {cert_path}")
        self.stdout.write(
            "Turn signing on with CELERY_SIGNING_ENABLED=1 "
            f"(CELERY_SECURITY_KEY={key_path}, CELERY_SECURITY_CERTIFICATE={cert_path}, "
            f"CELERY_SECURITY_CERT_STORE={directory}/*.crt)"
        )

"""Where the organisation's signing key lives: a PKCS#11 token or a PKCS#12 file."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator

from monitor.config_types import Section

# The secret (token PIN or PKCS#12 password) comes from here, or from `signing.secret_file`.
SECRET_VARIABLE = "VIGIL_SIGNING_SECRET"


class SigningSettings(Section):
    """The key that signs Form 08 (PAdES). Neither set: no key, the officer signs by hand.

    The PIN or password is never in this file: it comes from the environment
    (VIGIL_SIGNING_SECRET) or from `secret_file`, readable by Vigil's user only.
    """

    pkcs12: Path | None = None
    pkcs11_module: Path | None = None  # the token vendor's library (.so)
    token_label: str | None = None
    key_label: str | None = None  # the key's (and its certificate's) label on the token
    secret_file: Path | None = None
    timestamp_url: str | None = None  # an RFC 3161 service; none: the signer's clock
    signer_name: str | None = None  # shown in the signature block; default: the certificate's
    # Where the signature block goes on the form's last page, in points from the bottom left,
    # when the PDF has no empty signature field of its own.
    box: tuple[int, int, int, int] = (320, 40, 560, 130)

    @property
    def configured(self) -> bool:
        return self.pkcs12 is not None or self.pkcs11_module is not None

    @model_validator(mode="after")
    def one_key(self) -> SigningSettings:
        if self.pkcs12 is not None and self.pkcs11_module is not None:
            raise ValueError("set either pkcs12 or pkcs11_module, not both")
        if self.pkcs11_module is not None and not (self.token_label and self.key_label):
            raise ValueError("a PKCS#11 key needs token_label and key_label")
        if self.timestamp_url is not None and not self.timestamp_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError("timestamp_url must be an http:// or https:// address")
        return self

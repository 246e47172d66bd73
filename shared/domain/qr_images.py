"""QR images of ticket codes (SPEC R-QR-2): a PNG of the signed payload of ticket_codes."""

from __future__ import annotations

import io


def qr_png(payload: str) -> bytes:
    """A PNG that scanners read at arm's length; medium error correction survives a cracked
    phone screen. Deterministic: the same payload always gives the same bytes."""
    import qrcode  # only deliver-tickets renders images: keep the import off other cold starts
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()

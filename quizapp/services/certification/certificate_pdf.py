"""Render a certificate as a one-page PDF with its verification code and a QR code to the check page.

What the clinic set (its logo, its signatory) and the person's registration number are printed
as they are when the PDF is made: a certificate downloaded again after a change shows the change.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from ...clinic_time import to_local, zone
from ...models import Certificate

LOGO_BOX = (38 * mm, 24 * mm)  # top left, clear of the centred title


def render(certificate: Certificate, verify_url: str) -> bytes:
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"Dry needling certificate - {certificate.user.name}")
    pdf.setAuthor("Needlework")
    pdf.setSubject(f"Verification code {certificate.code}")

    pdf.setLineWidth(2)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setFont("Helvetica-Bold", 26)
    pdf.drawCentredString(width / 2, height - 40 * mm, "Certificate of Dry Needling Competence")
    pdf.setFont("Helvetica", 13)
    pdf.drawCentredString(width / 2, height - 52 * mm, "This certifies that")
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawCentredString(width / 2, height - 64 * mm, certificate.user.name)
    y = height - 75 * mm
    if certificate.user.registration_number:
        pdf.setFont("Helvetica", 11)
        pdf.drawCentredString(
            width / 2, height - 71 * mm, f"Registration number {certificate.user.registration_number}"
        )
        y -= 3 * mm
    pdf.setFont("Helvetica", 13)
    pdf.drawCentredString(width / 2, y, f"of {certificate.clinic.name}")
    pdf.drawCentredString(
        width / 2, y - 9 * mm, "has met every requirement of the clinic's dry-needling certification programme:"
    )

    _requirements(pdf, certificate.requirements, top=y - 21 * mm, bottom=66 * mm)
    _logo(pdf, certificate, left=20 * mm, top=height - 18 * mm)
    _signatory(pdf, certificate, centre=width / 2, line_y=58 * mm)

    issued = to_local(certificate.issued_at, zone(certificate.clinic.timezone))
    pdf.setFont("Helvetica", 12)
    pdf.drawString(30 * mm, 40 * mm, f"Issued: {issued:%d %B %Y}")
    pdf.drawString(30 * mm, 33 * mm, f"Valid until: {certificate.expires_on:%d %B %Y}")
    pdf.drawString(30 * mm, 26 * mm, f"Verification code: {certificate.code}")
    pdf.setFont("Helvetica", 9)
    pdf.drawString(30 * mm, 20 * mm, f"Check this certificate at {verify_url}")

    widget = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = widget.getBounds()
    size = 38 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, width - 30 * mm - size, 20 * mm)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _requirements(pdf: canvas.Canvas, requirements: list[dict], top: float, bottom: float) -> None:
    """One line each, closer together (and smaller) when there are many, never into the signature."""
    step = min(6 * mm, (top - bottom) / max(1, len(requirements) - 1))
    pdf.setFont("Helvetica", 11 if step >= 5 * mm else 9)
    for i, requirement in enumerate(requirements):
        pdf.drawString(
            40 * mm, top - i * step, f"\u2022 {requirement.get('label', '')}: {requirement.get('detail', '')}"
        )


def _logo(pdf: canvas.Canvas, certificate: Certificate, left: float, top: float) -> None:
    """The clinic's logo (checked as PNG or JPEG on upload), scaled into ``LOGO_BOX``."""
    data = certificate.clinic.logo if certificate.clinic.logo_mime else None
    if not data:
        return
    with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as stored:
        image = ImageOps.exif_transpose(stored)  # a photo of a logo keeps its camera's rotation
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    scale = min(LOGO_BOX[0] / image.width, LOGO_BOX[1] / image.height)
    w, h = image.width * scale, image.height * scale
    pdf.drawImage(ImageReader(image), left, top - h, width=w, height=h, mask="auto")


def _signatory(pdf: canvas.Canvas, certificate: Certificate, centre: float, line_y: float) -> None:
    """A line to sign on, with the clinic's lead's name and title under it."""
    name, title = certificate.clinic.signatory_name, certificate.clinic.signatory_title
    if not name:
        return
    pdf.setLineWidth(0.8)
    pdf.line(centre - 35 * mm, line_y, centre + 35 * mm, line_y)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawCentredString(centre, line_y - 5 * mm, name)
    if title:
        pdf.setFont("Helvetica", 10)
        pdf.drawCentredString(centre, line_y - 10 * mm, f"{title}, {certificate.clinic.name}")

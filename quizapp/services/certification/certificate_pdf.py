"""Render a certificate as a one-page PDF with its verification code and a QR code to the check page."""

from __future__ import annotations

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from ...models import Certificate


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
    pdf.setFont("Helvetica", 13)
    pdf.drawCentredString(width / 2, height - 75 * mm, f"of {certificate.clinic.name}")
    pdf.drawCentredString(
        width / 2, height - 84 * mm, "has met every requirement of the clinic's dry-needling certification programme:"
    )

    pdf.setFont("Helvetica", 11)
    y = height - 96 * mm
    for requirement in certificate.requirements:
        pdf.drawString(40 * mm, y, f"\u2022 {requirement['label']}: {requirement['detail']}")
        y -= 6 * mm

    pdf.setFont("Helvetica", 12)
    pdf.drawString(30 * mm, 40 * mm, f"Issued: {certificate.issued_at:%d %B %Y}")
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

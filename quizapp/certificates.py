"""HTTP responses for certificates, shared by the trainee, supervisor and public pages."""

from flask import Response, url_for

from .models import Certificate
from .services import certificate_pdf


def verify_url(certificate: Certificate) -> str:
    return url_for("public.verify", code=certificate.code, _external=True)


def pdf_response(certificate: Certificate) -> Response:
    body = certificate_pdf.render(certificate, verify_url(certificate))
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{certificate.code[:8]}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response

"""HTTP responses for certificates, shared by the trainee, supervisor and public pages."""

from flask import Response

from .models import Certificate
from .public_urls import external_url


def verify_url(certificate: Certificate) -> str:
    return external_url("public.verify", code=certificate.code)


def pdf_response(certificate: Certificate) -> Response:
    # reportlab (about 7 MB per process) loads with the first certificate a worker serves,
    # not in every worker at start: most workers only ever serve quiz pages.
    from .services.certification import certificate_pdf

    body = certificate_pdf.render(certificate, verify_url(certificate))
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{certificate.code[:8]}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response

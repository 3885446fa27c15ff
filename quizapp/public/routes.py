from flask import render_template, request

from ..extensions import limiter
from ..services.certification import evaluation
from . import bp
from .forms import VerifyForm

NOT_FOUND = (
    "No certificate has this code. Check that it was typed exactly as printed on the certificate: "
    "capital and small letters are different."
)


@bp.get("/verify")
@limiter.limit("60 per minute")
def check():
    """A box to type or paste a code into (a whole verify link works too); the result on the same page."""
    form = VerifyForm(formdata=request.args)
    if "code" not in request.args:
        return render_template("public/verify.html", form=form, cert=None)
    return _result(form)


@bp.get("/verify/<code>")
@limiter.limit("60 per minute")
def verify(code: str):
    """The link printed on a certificate and in its QR code."""
    return _result(VerifyForm(formdata=None, data={"code": code}))


def _result(form: VerifyForm):
    """Anyone holding a certificate's code can check it; nothing else is revealed. A code that
    matches nothing is the same page with a message (404), so the next try is one edit away."""
    form.validate()  # no rules of its own (the filter trims); it makes ``errors`` a list to add to
    if not form.code.data:
        form.code.errors.append("Type or paste the verification code printed on the certificate.")
        return render_template("public/verify.html", form=form, cert=None)
    cert = evaluation.by_code(form.code.data)
    if cert is None:
        form.code.errors.append(NOT_FOUND)
        return render_template("public/verify.html", form=form, cert=None), 404
    return render_template("public/verify.html", form=form, cert=cert, validity=evaluation.validity(cert))

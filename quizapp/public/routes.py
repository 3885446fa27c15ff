from flask import render_template

from ..errors import render_error
from ..extensions import limiter
from ..services.certification import evaluation
from . import bp


@bp.get("/verify/<code>")
@limiter.limit("60 per minute")
def verify(code: str):
    """Anyone holding a certificate's code can check it; nothing else is revealed."""
    cert = evaluation.by_code(code)
    if cert is None:
        return render_error(404, "No certificate has this code. Check that it was typed exactly as printed.")
    return render_template("public/verify.html", cert=cert, validity=evaluation.validity(cert))

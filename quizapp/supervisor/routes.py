import dataclasses

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from ..certificate_responses import pdf_response
from ..extensions import db
from ..models import (
    BODY_REGIONS,
    Attempt,
    Bank,
    Certificate,
    Clinic,
    SupervisedSession,
    User,
)
from ..public_urls import site_root
from ..scoping import clinic_in_scope, trainee_in_scope
from ..services.analytics import dashboard, exports, trainee_report, xapi
from ..services.certification import evaluation, programmes, supervised_sessions
from ..services.quiz import attempt_pages
from . import bp
from .forms import AccommodationForm, BulkSignOffForm, DashboardFilterForm, ReviewSessionForm, RevokeForm


def _filters(form: DashboardFilterForm) -> dashboard.Filters:
    """The filters from the query string; a value that does not fit is dropped, and ``form.ignored``
    says which (a stale bookmark or a typed URL deserves the page, not an error)."""
    form.ignored = []
    if not form.validate():
        for field in form:
            if field.errors:
                form.ignored.append(f"{field.label.text or field.name} “{(field.raw_data or [''])[0][:40]}”")
                field.data = field.default
                field.errors = []
    return dashboard.Filters(
        q=(form.q.data or "").strip(),
        status=form.status.data or "",
        inactive_days=30 if form.inactive.data else None,
        expiring=bool(form.expiring.data),
        sort=form.sort.data or "name",
        descending=bool(form.desc.data),
        page=form.page.data or 1,
    )


@bp.get("/")
def home():
    clinic = clinic_in_scope()
    form = DashboardFilterForm(request.args)
    board = dashboard.clinic_dashboard(clinic.id, _filters(form))
    clinics = db.session.scalars(select(Clinic).order_by(Clinic.name)).all() if current_user.is_admin else []
    return render_template("supervisor/home.html", clinic=clinic, board=board, form=form, clinics=clinics)


def _csv(name: str, header_and_rows) -> Response:
    header, rows = header_and_rows
    response = Response(stream_with_context(exports.to_csv(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export/progress.csv")
def export_progress():
    clinic = clinic_in_scope()
    filters = dataclasses.replace(_filters(DashboardFilterForm(request.args)), page=1, per_page=10**9)
    board = dashboard.clinic_dashboard(clinic.id, filters)
    return _csv(f"progress-clinic-{clinic.id}", exports.progress_rows(board.columns, board.rows))


@bp.get("/export/attempts.csv")
def export_attempts():
    clinic = clinic_in_scope()
    return _csv(f"attempts-clinic-{clinic.id}", exports.attempt_rows(clinic.id))


@bp.get("/export/responses.csv")
def export_responses():
    clinic = clinic_in_scope()
    return _csv(f"responses-clinic-{clinic.id}", exports.response_rows(clinic.id))


@bp.get("/export/xapi.json")
def export_xapi():
    """Attempt results as xAPI statements (a JSON array), for a learning record store."""
    clinic = clinic_in_scope()
    body = xapi.to_json_array(xapi.clinic_statements(clinic.id, site_root()))
    response = Response(stream_with_context(body), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="xapi-clinic-{clinic.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/attempts/<int:attempt_id>/review")
def attempt_review(attempt_id: int):
    attempt = db.get_or_404(Attempt, attempt_id)
    person = trainee_in_scope(attempt.user_id)
    if attempt.is_open:
        abort(404)
    return render_template(
        "trainee/review.html",
        review=attempt_pages.review(attempt.id),
        only_mistakes=request.args.get("show") == "mistakes",
        back_url=url_for("supervisor.trainee", user_id=person.id),
        back_label=person.name,
        self_url=url_for("supervisor.attempt_review", attempt_id=attempt.id),
    )


@bp.get("/sessions")
def sessions():
    clinic = clinic_in_scope()
    return render_template(
        "supervisor/sessions.html",
        clinic=clinic,
        pending=supervised_sessions.pending_for_clinic(clinic.id),
        regions=BODY_REGIONS,
        form=ReviewSessionForm(),
        bulk_form=BulkSignOffForm(),
    )


@bp.post("/sessions/sign-off")
def sign_off_sessions():
    """Sign off the ticked logs at once; what was signed, already reviewed or refused is reported."""
    if not current_user.is_supervisor:
        abort(404)
    form = BulkSignOffForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = supervised_sessions.sign_off_many(form.sessions.data or [], current_user)
    except supervised_sessions.PracticeLogError as exc:
        flash(str(exc), "error")
    else:
        for category, message in result.messages():
            flash(message, category)
    return redirect(url_for("supervisor.sessions"))


@bp.post("/sessions/<int:session_id>/review")
def review_session(session_id: int):
    session = db.first_or_404(
        select(SupervisedSession)
        .join(User, User.id == SupervisedSession.trainee_id)
        .where(SupervisedSession.id == session_id, User.clinic_id == current_user.clinic_id)
    )
    form = ReviewSessionForm()
    if not form.validate_on_submit() or not (form.sign_off.data or form.send_back.data):
        abort(400)
    try:
        supervised_sessions.review(session, current_user, bool(form.sign_off.data), form.comment.data or "")
    except supervised_sessions.PracticeLogError as exc:
        flash(str(exc), "error")
    else:
        flash("Session signed off." if form.sign_off.data else "Session returned to the trainee.", "info")
    return redirect(request.referrer if _same_site(request.referrer) else url_for("supervisor.sessions"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


@bp.get("/trainees/<int:user_id>")
def trainee(user_id: int):
    person = trainee_in_scope(user_id)
    view = trainee_report.overview(person)
    return render_template(
        "supervisor/trainee.html",
        person=person,
        **vars(view),
        regions=BODY_REGIONS,
        accommodation_form=AccommodationForm(obj=view.accommodation) if view.accommodation else AccommodationForm(),
        revoke_form=RevokeForm(),
        review_form=ReviewSessionForm(),
        validity=evaluation.validity,
    )


@bp.post("/trainees/<int:user_id>/accommodation")
def accommodation(user_id: int):
    person = trainee_in_scope(user_id)
    form = AccommodationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        programmes.set_accommodation(
            person, current_user, float(form.time_multiplier.data), form.extra_attempts.data, form.reason.data
        )
    except programmes.RuleError as exc:
        flash(str(exc), "error")
    else:
        flash("Accommodation saved.", "info")
    return redirect(url_for("supervisor.trainee", user_id=person.id))


def _certificate_in_scope(certificate_id: int) -> Certificate:
    query = select(Certificate).where(Certificate.id == certificate_id)
    if not current_user.is_admin:
        query = query.where(Certificate.clinic_id == current_user.clinic_id)
    return db.first_or_404(query)


@bp.post("/certificates/<int:certificate_id>/revoke")
def revoke(certificate_id: int):
    cert = _certificate_in_scope(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        evaluation.revoke(cert, current_user, form.reason.data)
    except evaluation.CertificateError as exc:
        flash(str(exc), "error")
    else:
        flash("Certificate revoked.", "info")
    return redirect(url_for("supervisor.trainee", user_id=cert.user_id))


@bp.get("/certificates/<int:certificate_id>.pdf")
def certificate_pdf(certificate_id: int):
    return pdf_response(_certificate_in_scope(certificate_id))


@bp.get("/items")
def item_analysis():
    """Per-question statistics for one bank: this clinic, or (admins, ?scope=all) every clinic."""
    from ..services.analytics import item_report  # numpy: loaded where statistics are read, not in every worker

    clinic = clinic_in_scope()
    banks = db.session.scalars(select(Bank).order_by(Bank.title)).all()
    if not banks:
        abort(404)
    everywhere = current_user.is_admin and request.args.get("scope") == "all"
    if request.args.get("bank"):
        bank = next((b for b in banks if b.slug == request.args["bank"]), None)
    else:
        busiest = item_report.busiest_bank_id(None if everywhere else clinic.id)
        bank = next((b for b in banks if b.id == busiest), banks[0])
    if bank is None:
        abort(404)
    first_only = request.args.get("attempts") != "all"
    earlier = request.args.get("revisions") == "all"
    analysis = item_report.analyse(bank, None if everywhere else clinic.id, first_only=first_only, earlier=earlier)
    return render_template(
        "supervisor/items.html", clinic=clinic, banks=banks, analysis=analysis, everywhere=everywhere
    )

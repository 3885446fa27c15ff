from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..certificate_responses import pdf_response
from ..clinic_time import today_for
from ..extensions import db
from ..models import BODY_REGIONS, Attempt, Bank, SupervisedSession, utcnow
from ..services.certification import evaluation, supervised_sessions
from ..services.quiz import attempt_pages, attempts
from . import bp
from .forms import AnswerForm, LogSessionForm, StartAttemptForm, SubmitAttemptForm


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = attempts.user_attempt(current_user, attempt_id)
    if attempt is None:
        abort(404)
    return attempt


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/")
def home():
    page = attempts.home(current_user)
    news = []
    if page.reviews_since != 0:  # the home query counted them: list them only when there are some
        news = supervised_sessions.reviewed_since(current_user, current_user.previous_login_at)
    return render_template("trainee/home.html", progress=page.progress, due=page.due, news=news)


@bp.get("/banks/<slug>")
def bank(slug: str):
    bank = db.first_or_404(select(Bank).where(Bank.slug == slug))
    attempts.close_expired(current_user)
    history = db.session.scalars(
        select(Attempt)
        .where(Attempt.user_id == current_user.id, Attempt.bank_id == bank.id)
        .order_by(Attempt.started_at.desc())
    ).all()
    return render_template(
        "trainee/bank.html",
        bank=bank,
        history=history,
        limits=attempts.limits_for(current_user, bank),
        open_attempt=next((a for a in history if a.is_open), None),
        cooldown_until=attempts.cooldown_until(current_user, bank, utcnow()),
        form=StartAttemptForm(),
    )


@bp.post("/banks/<slug>/start")
def start(slug: str):
    bank = db.first_or_404(select(Bank).where(Bank.slug == slug))
    if not StartAttemptForm().validate_on_submit():
        abort(400)
    try:
        attempt = attempts.start_or_resume(current_user, bank)
    except attempts.AttemptError as exc:
        flash(str(exc), "error")
        return redirect(url_for("trainee.bank", slug=slug))
    return redirect(url_for("trainee.question", attempt_id=attempt.id, number=attempt.current_position + 1))


@bp.get("/attempts/<int:attempt_id>")
def resume(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if not attempt.is_open:
        return redirect(url_for("trainee.review", attempt_id=attempt.id))
    return redirect(url_for("trainee.question", attempt_id=attempt.id, number=attempt.current_position + 1))


def _closed_redirect(attempt_id: int, message: str | None = None):
    if message:
        flash(message, "info")
    return redirect(url_for("trainee.review", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>/questions/<int:number>", methods=["GET", "POST"])
def question(attempt_id: int, number: int):
    now = utcnow()
    try:
        if request.method == "POST":
            return _save_answer(attempt_id, number, now)
        page = attempt_pages.question_page(current_user.id, attempt_id, number - 1, now)
    except attempts.AttemptNotOpen:
        return _leave_closed_attempt(attempt_id, now)
    if page is None:
        abort(404)
    return render_template("trainee/question.html", page=page, number=number)


def _leave_closed_attempt(attempt_id: int, now):
    """The attempt was submitted, or its time is up: submit it if need be, then show the review."""
    attempt = _own_attempt(attempt_id)
    message = None
    if attempt.is_open and now >= attempt.expires_at:
        attempts.submit(attempt.id, now=now, reason="time_up")  # after it, attempt_id: see finish()
        message = "Time is up: your attempt was submitted with the answers you had saved."
    if request.method == "POST" and _wants_json():  # the page's script saving: it reads a 409, not a redirect
        refusal = message or "This attempt has already been submitted."
        return jsonify(saved=False, error=refusal, review=url_for("trainee.review", attempt_id=attempt_id)), 409
    return _closed_redirect(attempt_id, message)


def _save_answer(attempt_id: int, number: int, now):
    """Save one answer: JSON for the page's script, a redirect for a plain form post."""
    slot = attempts.answer_slot(current_user.id, attempt_id, number - 1, now)
    if slot is None:
        abort(404)
    form = AnswerForm(len(slot.choice_order), slot.question_type != "multiple")
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify(saved=False, error="That answer could not be accepted."), 400
        abort(400)
    choice_ids = {slot.choice_order[p] for p in form.answer.data or []}
    wants_json = _wants_json()
    step = 0 if wants_json or form.finish.data else (-1 if form.previous.data else 1)
    next_number = min(max(1, number + step), slot.total)
    try:
        attempts.save_answer(attempt_id, number - 1, choice_ids, now=now, next_position=next_number - 1, slot=slot)
    except attempts.AttemptClosed as exc:
        if wants_json:
            return jsonify(saved=False, error=str(exc), review=url_for("trainee.review", attempt_id=attempt_id)), 409
        return _closed_redirect(attempt_id, str(exc))
    if wants_json:
        return jsonify(saved=True, answered=bool(choice_ids))
    if form.finish.data:
        return redirect(url_for("trainee.finish", attempt_id=attempt_id))
    return redirect(url_for("trainee.question", attempt_id=attempt_id, number=next_number))


@bp.route("/attempts/<int:attempt_id>/finish", methods=["GET", "POST"])
def finish(attempt_id: int):
    form = SubmitAttemptForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        # The claim itself checks that the attempt is this trainee's (and dates a late submit at
        # the time limit), so the common case reads nothing before it.
        if attempts.submit(attempt_id, now=utcnow(), user_id=current_user.id):
            flash("Attempt submitted.", "info")
        else:
            _own_attempt(attempt_id)  # someone else's: 404; already submitted: its review
        return redirect(url_for("trainee.review", attempt_id=attempt_id))
    attempt = _own_attempt(attempt_id)
    try:
        page = attempt_pages.question_page(current_user.id, attempt.id, 0, utcnow())
    except attempts.AttemptNotOpen:
        return _leave_closed_attempt(attempt.id, utcnow())
    return render_template("trainee/finish.html", attempt=attempt, page=page, form=form)


@bp.get("/attempts/<int:attempt_id>/review")
def review(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if attempt.is_open:
        return redirect(url_for("trainee.resume", attempt_id=attempt.id))
    return render_template(
        "trainee/review.html",
        review=attempt_pages.review(attempt.id, holder_id=current_user.id),
        only_mistakes=request.args.get("show") == "mistakes",
        back_url=url_for("trainee.bank", slug=attempt.bank.slug),
        back_label=attempt.bank.title,
        self_url=url_for("trainee.review", attempt_id=attempt.id),
    )


@bp.get("/certification")
def certification_page():
    result = evaluation.refresh(current_user)
    sessions = db.session.scalars(
        select(SupervisedSession)
        .where(SupervisedSession.trainee_id == current_user.id)
        .order_by(SupervisedSession.session_date.desc())
    ).all()
    banks = {b.slug: b for b in db.session.scalars(select(Bank))}
    return render_template(
        "trainee/certification.html", result=result, sessions=sessions, banks=banks, regions=BODY_REGIONS
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
def log_session():
    form = LogSessionForm()
    if not form.is_submitted():
        form.session_date.data = today_for(current_user.clinic.timezone)
    if form.validate_on_submit():
        try:
            supervised_sessions.log_session(
                current_user,
                form.session_date.data,
                form.region.data,
                form.muscles.data,
                form.safety_notes.data or "",
                names_confirmed=bool(form.not_a_name.data),
            )
        except supervised_sessions.PossibleName as exc:
            form.not_a_name.errors.append(str(exc))
        except supervised_sessions.PracticeLogError as exc:
            form.safety_notes.errors.append(str(exc))
        else:
            flash("Session logged. Your supervisor will review it.", "info")
            return redirect(url_for("trainee.certification_page"))
    return render_template("trainee/log_session.html", form=form)


@bp.get("/certificates/<code>.pdf")
def certificate_pdf(code: str):
    cert = evaluation.by_code(code)
    if cert is None or cert.user_id != current_user.id:
        abort(404)
    return pdf_response(cert)

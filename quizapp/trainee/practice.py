"""Practice pages: choose a scope, answer one question, read the feedback, go on."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Bank, Subtopic, utcnow
from ..services.learning import memory_schedule, practice, weak_spots
from . import bp
from .forms import PracticeAnswerForm, PracticeStartForm


@bp.get("/practice")
def practice_home():
    now = utcnow()
    return render_template(
        "trainee/practice_home.html",
        mastery=memory_schedule.mastery(current_user.id, now),
        due=memory_schedule.due_count(current_user.id, now),
        weak=weak_spots.weakest(current_user.id),
        form=PracticeStartForm(),
    )


@bp.post("/practice/start")
def practice_start():
    form = PracticeStartForm()
    if not form.validate_on_submit():
        abort(400)
    bank = None
    if form.bank.data:
        bank = db.first_or_404(select(Bank).where(Bank.slug == form.bank.data))
    subtopic_id = form.subtopic.data
    if subtopic_id is not None and (
        bank is None or db.session.scalar(select(Subtopic.bank_id).where(Subtopic.id == subtopic_id)) != bank.id
    ):
        abort(404)
    only = {w.question_id for w in weak_spots.weakest(current_user.id)} if form.weak.data else None
    try:
        item = practice.start_item(current_user, utcnow(), bank, subtopic_id, bool(form.review.data), only)
    except practice.NothingToPractise as exc:
        flash(str(exc), "info")
        return redirect(url_for("trainee.practice_home"))
    return redirect(url_for("trainee.practice_item", item_id=item.id, **({"set": "weak"} if only is not None else {})))


@bp.route("/practice/items/<int:item_id>", methods=["GET", "POST"])
def practice_item(item_id: int):
    item = practice.user_item(current_user, item_id)
    if item is None:
        abort(404)
    form = PracticeAnswerForm(len(item.choice_order), item.revision.type != "multiple")
    weak = request.args.get("set") == "weak"  # "Practise these": the next question comes from the same list
    if request.method == "POST" and (item.answered_at is not None or _take_answer(item, form)):
        # a second submit changes nothing
        return redirect(url_for("trainee.practice_item", item_id=item.id, **({"set": "weak"} if weak else {})))
    page = practice.item_page(item)
    next_form = PracticeStartForm(formdata=None, data={**page.next_scope, "weak": weak})
    return render_template("trainee/practice_item.html", page=page, form=form, next_form=next_form)


def _take_answer(item, form: PracticeAnswerForm) -> bool:
    """Store a valid answer (True); False leaves the form's errors to show. Tampering is a 400
    (a missing or wrong CSRF token: CSRFProtect, before any view; an option not offered: below)."""
    if not form.validate_on_submit():
        return False
    try:
        practice.answer(item, form.answer.data, utcnow())
    except ValueError:
        abort(400)
    except (practice.AlreadyAnswered, practice.HeldForOpenAttempt):
        pass
    return True

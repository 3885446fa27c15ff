from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import home_endpoint
from ..extensions import limiter
from ..services.people import accounts
from . import bp
from .forms import ChangePasswordForm, LoginForm, LogoutForm


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


TOO_MANY = (
    "Too many login attempts. Wait a few minutes, then try again (or ask your supervisor to reset your password)."
)


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"]


def _account_key() -> str:
    """The e-mail being tried: slows guessing at one account from many addresses.

    Read from the raw form because the limiter runs before the view's form is built; the
    value is only a key, never trusted or stored.
    """
    return "login:" + accounts.normalise_email(request.form.get("email", ""))[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], error_message=TOO_MANY)
@limiter.limit(
    _account_limit,
    key_func=_account_key,
    methods=["POST"],
    error_message=TOO_MANY,
    deduct_when=lambda response: response.status_code == 401,  # only failures count against an account
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            flash("E-mail or password is not right, or the account is disabled.", "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()  # a fresh session on login: no fixation
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for(home_endpoint(user)))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
        except accounts.AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            login_user(current_user._get_current_object())  # re-issue this session with the new version
            flash("Password changed. Other sessions were logged out.", "info")
            return redirect(url_for(home_endpoint(current_user)))
    return render_template("auth/password.html", form=form)

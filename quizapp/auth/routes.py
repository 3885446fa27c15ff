from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import home_endpoint
from ..extensions import limiter
from ..public_urls import external_url
from ..security import SESSION_TOKEN
from ..services import mail
from ..services.people import accounts, login_sessions, password_resets
from . import bp, devices
from .forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, LogoutForm, NewPasswordForm


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


TOO_MANY = (
    "Too many login attempts. Wait a few minutes, then try again (or ask your supervisor to reset your password)."
)


def _config(name: str):
    return lambda: current_app.config[name]


def _account_email() -> str:
    """The e-mail being tried, read from the raw form because the limiter runs before the view's
    form is built; the value is only a key, never trusted or stored."""
    return accounts.normalise_email(request.form.get("email", ""))[:254]


def _account_and_address_key() -> str:
    """Failures on one account from one address, or from one browser the owner has logged in on."""
    device = devices.known_device(_account_email())
    return f"login:{_account_email()}:" + (f"device:{device}" if device else f"addr:{request.remote_addr}")


def _unknown_device_key() -> str:
    """Failures on one account from every browser it has never logged in on, whatever their address."""
    return f"login-unknown-device:{_account_email()}"


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_config("LOGIN_RATE_LIMIT"), methods=["POST"], error_message=TOO_MANY)
@limiter.limit(
    _config("ACCOUNT_LOGIN_RATE_LIMIT"),
    key_func=_account_and_address_key,
    methods=["POST"],
    error_message=TOO_MANY,
    deduct_when=_failed,
)
@limiter.limit(
    _config("ACCOUNT_UNKNOWN_DEVICE_RATE_LIMIT"),
    key_func=_unknown_device_key,
    methods=["POST"],
    error_message=TOO_MANY,
    deduct_when=_failed,
    exempt_when=lambda: devices.known_device(_account_email()) is not None,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            flash("E-mail or password is not right, or the account is disabled.", "error")
            return render_template("auth/login.html", form=form, can_reset=_can_email_resets()), 401
        _start_session(user)
        response = redirect(_safe_next(request.args.get("next")) or url_for(home_endpoint(user)))
        devices.remember(response, user.email)
        return response
    return render_template("auth/login.html", form=form, can_reset=_can_email_resets())


def _start_session(user) -> None:
    session.clear()  # a fresh session on login: no fixation
    login_user(user)
    session[SESSION_TOKEN] = login_sessions.begin(user)


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        login_sessions.end(session.get(SESSION_TOKEN))
        logout_user()
        session.clear()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _password_check_key() -> str:
    return f"password-check:{current_user.get_id()}"


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(
    _config("PASSWORD_CHECK_RATE_LIMIT"),
    key_func=_password_check_key,
    methods=["POST"],
    error_message="Too many wrong passwords. Wait a few minutes, then try again.",
    deduct_when=lambda response: g.get("wrong_password", False),
)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current.data, form.new.data, keep_session=session.get(SESSION_TOKEN)
            )
        except accounts.WrongPassword as exc:
            g.wrong_password = True
            form.current.errors.append(str(exc))
        except accounts.AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            login_user(current_user._get_current_object())  # re-issue this session with the new version
            flash("Password changed. Other sessions were logged out.", "info")
            return redirect(url_for(home_endpoint(current_user)))
    return render_template("auth/password.html", form=form, forced=current_user.must_change_password)


@bp.before_app_request
def require_new_password():
    """After an administrator's reset, nothing but choosing a new password (or logging out) is open."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ("auth.change_password", "auth.logout", "static")
    ):
        flash("Choose a new password before you go on: yours was reset by an administrator.", "info")
        return redirect(url_for("auth.change_password"))
    return None


def _can_email_resets() -> bool:
    """Self-service resets need mail, and PUBLIC_URL for the link (never the request's Host)."""
    return mail.configured() and bool(current_app.config.get("PUBLIC_URL"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_config("RESET_REQUEST_RATE_LIMIT"), methods=["POST"])
@limiter.limit(_config("RESET_REQUEST_RATE_LIMIT"), key_func=lambda: f"reset:{_account_email()}", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if _can_email_resets() and form.validate_on_submit():
        password_resets.request_link(form.email.data, lambda token: external_url("auth.reset_password", token=token))
        flash(
            "If an account uses that address, we have e-mailed it a link to choose a new password. "
            "The link works once, for 30 minutes.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form, can_reset=_can_email_resets())


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = password_resets.user_for_token(token)
    if user is None:
        flash("That reset link has expired or has been used. Ask for a new one.", "error")
        return redirect(url_for("auth.forgot_password"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            password_resets.complete_with_link(user, form.new.data)
        except accounts.AccountError as exc:
            form.new.errors.append(str(exc))
        else:
            logout_user()
            session.clear()
            flash("Your password is changed and every other session is logged out. Log in with it now.", "info")
            return redirect(url_for("auth.login"))
    if len(token) > 512:
        abort(404)
    return render_template("auth/reset.html", form=form)

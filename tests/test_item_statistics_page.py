"""The question statistics page opens on the bank the clinic has answered most, not the first by name."""

import datetime as dt

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import Bank, utcnow

from . import factories
from .conftest import Browser
from .test_certification import pass_bank


def test_statistics_open_on_the_bank_with_the_most_attempts(app, tmp_path):
    """Two banks; attempts only on the one that sorts last: the page opens on that one."""
    with app.app_context():
        tiny = factories.tiny_bank(tmp_path)
        other = (factories.DATA / "tiny_bank.yaml").read_text().replace("id: tiny", "id: aardvark", 1)
        other = other.replace("title: Tiny test bank", "title: Aardvark bank", 1)
        folder = tmp_path / "second"
        folder.mkdir()
        (folder / "aardvark.yaml").write_text(other)
        factories.import_bank_dir(folder)
        assert db.session.scalar(select(Bank.title).order_by(Bank.title)) == "Aardvark bank"
        trainee = factories.user("t@x.test")
        factories.user("s@x.test", role="supervisor")
        pass_bank(trainee, tiny, utcnow() - dt.timedelta(hours=1))
    b = Browser(app.test_client())
    b.login("s@x.test")
    page = b.get("/supervisor/items").get_data(as_text=True)
    assert "Question statistics · Tiny test bank" in page

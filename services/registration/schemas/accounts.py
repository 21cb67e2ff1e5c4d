"""Accounts, sign-in and passwords: the schemas of ``/accounts`` and ``/sessions``."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from shared.auth import ROLES
from shared.names import printable_name

LANGUAGES = ["vi", "en"]


class RegisterIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.Str(required=True, validate=validate.Length(min=10, max=200), load_only=True)
    display_name = fields.Str(required=True, validate=printable_name(max_length=200))
    language = fields.Str(load_default="vi", validate=validate.OneOf(LANGUAGES))
    role = fields.Str(
        load_default="applicant", validate=validate.OneOf(["applicant", "consultant"])
    )


class AccountCreateIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.Str(
        load_default=None,
        validate=validate.Length(min=10, max=200),
        load_only=True,
        metadata={
            "description": "left out: the official is invited by email to set their own "
            "with a one-time link (valid 7 days)"
        },
    )
    display_name = fields.Str(required=True, validate=printable_name(max_length=200))
    language = fields.Str(load_default="vi", validate=validate.OneOf(LANGUAGES))
    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)), required=True)
    unit = fields.Str(load_default=None, allow_none=True)
    councils = fields.List(fields.Str(), load_default=list)


class AccountOut(Schema):
    id = fields.UUID()
    email = fields.Email()
    display_name = fields.Str()
    language = fields.Str()
    roles = fields.List(fields.Str())
    unit = fields.Str(allow_none=True)
    councils = fields.List(fields.Str())
    active = fields.Bool()
    created_at = fields.DateTime()
    email_confirmed_at = fields.DateTime(
        allow_none=True,
        metadata={
            "description": "when the holder proved the address theirs (an official's is vouched "
            "for on creation); null: a self-registered account not confirmed yet, which may "
            "not submit a dossier where the deployment requires confirmation"
        },
    )
    password_set = fields.Method(
        "_password_set",
        metadata={"description": "false: no password yet (invited, or imported)"},
    )

    def _password_set(self, account: Any) -> bool:
        return bool(account.password_hash)


class OwnAccountUpdateIn(Schema):
    """What anyone may change about themselves; a field left out stays as it is."""

    display_name = fields.Str(validate=printable_name(max_length=200))
    language = fields.Str(validate=validate.OneOf(LANGUAGES))


class AccountUpdateIn(OwnAccountUpdateIn):
    """What an administrator may change about an account; a field left out stays as it is."""

    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)))
    unit = fields.Str(allow_none=True)
    active = fields.Bool()


class AccountListArgs(Schema):
    q = fields.Str(
        validate=validate.Length(max=200),
        metadata={
            "description": "words, each beginning a word of the name or the email, in any "
            "order, regardless of case, tones and letter marks (đ is found as d)"
        },
    )
    role = fields.Str(
        validate=validate.OneOf(ROLES), metadata={"description": "only accounts with this role"}
    )
    active = fields.Bool(metadata={"description": "only active (true) or deactivated (false)"})
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.UUID(metadata={"description": "cursor: the `next` of the previous page"})


class AccountPage(Schema):
    items = fields.List(fields.Nested(AccountOut))
    next = fields.UUID(allow_none=True, metadata={"description": "cursor of the next page"})


NEW_PASSWORD = validate.Length(min=10, max=200)


class PasswordChangeIn(Schema):
    current_password = fields.Str(required=True, validate=validate.Length(max=200), load_only=True)
    new_password = fields.Str(required=True, validate=NEW_PASSWORD, load_only=True)


class PasswordResetIn(Schema):
    email = fields.Str(required=True, validate=validate.Length(min=1, max=254))


class PasswordLinkIn(Schema):
    # What password_links issues: secrets.token_urlsafe(32), 43 characters of base64url. Text
    # of another shape is no link at all: 422, not "used or expired".
    token = fields.Str(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{20,100}$"), load_only=True
    )


class EmailConfirmationIn(PasswordLinkIn):
    """The token of the link emailed on registering (or asked for again)."""


class PasswordLinkOut(Schema):
    purpose = fields.Str(metadata={"description": "reset or invitation"})
    email = fields.Str()
    display_name = fields.Str()
    expires_at = fields.DateTime()


class PasswordSetIn(PasswordLinkIn):
    password = fields.Str(required=True, validate=NEW_PASSWORD, load_only=True)


class LoginIn(Schema):
    email = fields.Str(required=True, validate=validate.Length(max=254))
    password = fields.Str(required=True, validate=validate.Length(max=200), load_only=True)


class TokenOut(Schema):
    access_token = fields.Str()
    token_type = fields.Str()
    expires_in = fields.Int()
    account = fields.Nested(AccountOut)

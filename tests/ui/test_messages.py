"""Flow errors as the hosted page words them, and where it puts them."""

from __future__ import annotations

from gatehouse.ui.messages import errors_from, policy_hints

STANDARD = {
    "length": {"min": 8, "max": 255},
    "minCharacters": {"ABCDEFGHIJKLMNOPQRSTUVWXYZ": 1, "0123456789": 2},
    "maxRepeatedCharacters": 2,
    "minUniqueCharacters": 5,
    "history": {"count": 6, "retentionDays": 365},
    "excludesCommonlyUsed": True,
}
VALIDATION = (
    "The request could not be completed. One or more validation errors were in the request."
)


def problem(*details: dict) -> dict:
    return {"code": "INVALID_DATA", "message": VALIDATION, "details": list(details)}


def test_unsatisfied_requirements_are_listed_readably_beside_the_new_password() -> None:
    errors = errors_from(
        problem(
            {
                "code": "INVALID_VALUE",
                "target": "password",
                "message": "User password did not satisfy password policy requirements",
                "innerError": {
                    "unsatisfiedRequirements": ["length", "minCharacters", "history", "novel"]
                },
            }
        ),
        ("currentPassword", "newPassword"),
        STANDARD,
    )
    assert errors.general == []
    (message,) = errors.fields["newPassword"]
    assert message.message == "The password does not meet these requirements:"
    assert message.items == (
        "Use between 8 and 255 characters.",
        "Include at least 1 uppercase letter and 2 digits.",
        "Do not reuse one of your last 6 passwords.",
        "novel",
    )


def test_credentials_lockout_and_uniqueness() -> None:
    on_page = ("username", "email", "password")
    errors = errors_from(
        problem(
            {"code": "INVALID_CREDENTIALS", "message": "The username or password is incorrect."},
            {
                "code": "PASSWORD_LOCKED_OUT",
                "target": "password",
                "message": "locked",
                "innerError": {"secondsUntilUnlock": 61},
            },
            {"code": "UNIQUENESS_VIOLATION", "target": "email", "message": "taken"},
            {"code": "REQUIRED_VALUE", "target": "username", "message": "username is required"},
        ),
        on_page,
        None,
    )
    assert [m.message for m in errors.general] == ["The username or password is incorrect."]
    assert errors.fields["password"][0].message == (
        "Too many failed attempts. Try again in 2 minutes."
    )
    assert errors.fields["email"][0].message == "This email address is already in use."
    assert errors.fields["username"][0].message == "This field is required."


def test_targets_not_on_the_page_and_bare_problems_go_above_the_form() -> None:
    errors = errors_from(
        problem({"code": "INVALID_VALUE", "target": "locale", "message": "Unknown locale."}),
        ("username",),
        None,
    )
    assert [m.message for m in errors.general] == ["Unknown locale."]
    bare = errors_from({"code": "REQUEST_FAILED", "message": "Not now."}, ("username",), None)
    assert [m.message for m in bare.general] == ["Not now."]
    stale = errors_from({"code": "INVALID_REQUEST", "message": "x"}, ("username",), None)
    assert [m.message for m in stale.general] == [
        "That step is not available any more. Please continue here."
    ]
    profile = errors_from(
        problem({"code": "REQUIRED_VALUE", "target": "name.given", "message": "required"}),
        ("attr.name.given",),
        None,
    )
    assert list(profile.fields) == ["attr.name.given"]


def test_policy_hints() -> None:
    assert policy_hints(None) == ()
    assert policy_hints(STANDARD) == (
        "Use between 8 and 255 characters.",
        "Include at least 1 uppercase letter and 2 digits.",
        "Use at least 5 different characters.",
        "Do not repeat a character more than 2 times in a row.",
        "Do not use a commonly used password.",
    )

"""A candidate password against a policy's rules: pure functions, no database, no hashing.

History and minAgeDays need stored hashes and times, so `passwords.service` checks those and adds
their keys to the same list. Every requirement is named by its PingOne policy key, which is what
`innerError.unsatisfiedRequirements` reports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache
from importlib import resources

from gatehouse.directory.password_policies.schemas import (
    DIGITS,
    LOWERCASE,
    UPPERCASE,
    PasswordRules,
)

# Profile values shorter than this are ignored by excludesProfileData: containing "Al" or "Li" is
# not using one's profile data, and would refuse far too much.
MIN_PROFILE_VALUE_LENGTH = 3

# minComplexity: days to exhaust the password's search space at this many guesses per second
# (an offline attack on a fast hash, after Steve Gibson's "password haystacks").
GUESSES_PER_SECOND = 100_000_000_000
SECONDS_PER_DAY = 86_400
SYMBOL_POOL = 33  # printable ASCII that is neither a letter nor a digit

ALPHABET = LOWERCASE
NUMBERS = DIGITS
QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
SHIFTED_NUMBER_ROW = "!@#$%^&*()"


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of commonly used passwords, casefolded."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def unsatisfied_requirements(
    rules: PasswordRules, password: str, *, profile: Iterable[str | None], current: str | None
) -> list[str]:
    """The policy keys `password` fails, in the policy's order (empty: it satisfies them all).

    `profile` holds the user's attribute values for excludesProfileData; `current` is the current
    password in clear when the caller supplied it (notSimilarToCurrent applies only then)."""
    checks = (
        ("excludesCommonlyUsed", rules.excludes_commonly_used and _is_common(password)),
        (
            "excludesProfileData",
            rules.excludes_profile_data and _uses_profile_data(password, profile),
        ),
        (
            "notSimilarToCurrent",
            rules.not_similar_to_current and current is not None and too_similar(password, current),
        ),
        (
            "length",
            rules.length is not None and not rules.length.min <= len(password) <= rules.length.max,
        ),
        (
            "maxRepeatedCharacters",
            rules.max_repeated_characters is not None
            and longest_run(password) > rules.max_repeated_characters,
        ),
        (
            "minUniqueCharacters",
            rules.min_unique_characters is not None
            and len(set(password)) < rules.min_unique_characters,
        ),
        (
            "minComplexity",
            rules.min_complexity is not None and days_to_exhaust(password) < rules.min_complexity,
        ),
        (
            "minCharacters",
            rules.min_characters is not None
            and any(
                sum(character in charset for character in password) < minimum
                for charset, minimum in rules.min_characters.items()
            ),
        ),
        (
            "alphabetSequenceRule",
            rules.alphabet_sequence_rule is not None
            and _has_run(password, (ALPHABET,), rules.alphabet_sequence_rule.max_length),
        ),
        (
            "numberSequenceRule",
            rules.number_sequence_rule is not None
            and _has_run(password, (NUMBERS,), rules.number_sequence_rule.max_length),
        ),
        (
            "qwertySequenceRule",
            rules.qwerty_sequence_rule is not None
            and _has_run(password, QWERTY_ROWS, rules.qwerty_sequence_rule.max_length),
        ),
        (
            "shiftedNumberRowSequenceRule",
            rules.shifted_number_row_sequence_rule is not None
            and _has_run(
                password, (SHIFTED_NUMBER_ROW,), rules.shifted_number_row_sequence_rule.max_length
            ),
        ),
    )
    return [key for key, failed in checks if failed]


def levenshtein(first: str, second: str) -> int:
    """The edit distance (insertions, deletions, substitutions) between two strings."""
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for i, left in enumerate(first, start=1):
        current = [i]
        for j, right in enumerate(second, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right))
            )
        previous = current
    return previous[-1]


def too_similar(candidate: str, current: str) -> bool:
    """Whether `candidate` is a small edit of `current`: within a quarter of its length (at
    least 2 edits), ignoring case — "Summer2024!" to "summer2025!" is not a new password."""
    threshold = max(2, len(current) // 4)
    return levenshtein(candidate.casefold(), current.casefold()) <= threshold


def longest_run(password: str) -> int:
    """The length of the longest run of one repeated character ("aaa" is 3)."""
    longest = run = 0
    previous = None
    for character in password:
        run = run + 1 if character == previous else 1
        longest = max(longest, run)
        previous = character
    return longest


def days_to_exhaust(password: str) -> float:
    """Days an attacker needs to try every password of this length and character pool."""
    pool = (
        (26 if any(c in LOWERCASE for c in password) else 0)
        + (26 if any(c in UPPERCASE for c in password) else 0)
        + (10 if any(c in DIGITS for c in password) else 0)
        + (SYMBOL_POOL if any(not c.isascii() or not c.isalnum() for c in password) else 0)
    )
    haystack = sum(pool**size for size in range(1, len(password) + 1))
    try:
        return haystack / (GUESSES_PER_SECOND * SECONDS_PER_DAY)
    except OverflowError:  # beyond a float: long enough for any policy
        return math.inf


def _is_common(password: str) -> bool:
    return password.casefold() in common_passwords()


def _uses_profile_data(password: str, profile: Iterable[str | None]) -> bool:
    folded = password.casefold()
    return any(
        value.casefold() in folded
        for value in profile
        if value and len(value) >= MIN_PROFILE_VALUE_LENGTH
    )


def _has_run(password: str, sequences: Iterable[str], max_length: int) -> bool:
    """Whether `password` holds more than `max_length` consecutive characters of a sequence,
    forwards or backwards, ignoring case."""
    folded = password.casefold()
    size = max_length + 1
    windows = {folded[i : i + size] for i in range(len(folded) - size + 1)}
    return any(
        window in sequence or window in sequence[::-1]
        for sequence in sequences
        for window in windows
    )

"""Every command a user can type is documented: each verb has a description, each option a help text,
and README.md lists every `certify <group> <verb>`."""
from __future__ import annotations

import argparse

import pytest

from certify.cli import build_parser
from helpers import REPO_ROOT


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:  # an alias of a command already listed
                    continue
                seen.add(id(sub))
                yield name, sub


def _commands():
    """(path, parser) for every command and verb of `certify`."""
    out = []

    def walk(prefix, parser):
        subs = list(_subparsers(parser))
        if prefix:
            out.append((prefix, parser, bool(subs)))
        for name, sub in subs:
            walk(prefix + (name,), sub)

    walk((), build_parser())
    return out


COMMANDS = _commands()


@pytest.mark.parametrize("path,parser,is_group", COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS])
def test_every_command_has_a_description_and_every_option_help(path, parser, is_group):
    assert parser.description, f"`certify {' '.join(path)}` has no description"
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        assert action.help and action.help != argparse.SUPPRESS, \
            f"`certify {' '.join(path)}`: option {action.option_strings or action.dest} has no help text"


def test_readme_lists_every_verb():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [" ".join(path) for path, parser, is_group in COMMANDS
               if not is_group and f"certify {' '.join(path)}" not in readme]
    assert not missing, f"README.md does not list: {missing}"

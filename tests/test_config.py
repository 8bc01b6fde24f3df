"""The settings file and `vaultsync init`, through the installed CLI: values apply, the command line wins,
mistakes are one line naming the key and the file, and the corpus' misspelt tag can be merged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import frontmatter
import pytest
import typer
from conftest import REPO, run_cli, vault_files

from vaultsync.cli import app
from vaultsync.settings import FETCH, RUN, SETTINGS, ConfigError, default_text, parse

EXAMPLE = REPO / "examples" / "digests" / "2024-01-18.md"


def settings_file(vault: Path, text: str) -> Path:
    (vault / ".vaultsync").mkdir(parents=True, exist_ok=True)
    path = vault / ".vaultsync" / "config.toml"
    path.write_text(text)
    return path


def test_the_default_file_sets_every_key_to_its_default():
    text = default_text("logseq")
    assert parse(text, Path("x")) == {"flavor": "logseq"}
    settings = re.compile(r"# (\w+ = .*|\[tag_map\]|\[fetch\])")
    uncommented = "\n".join(line[2:] for line in text.splitlines() if settings.fullmatch(line))
    values = parse(uncommented.replace('flavor = "logseq"\n', ""), Path("x"))
    assert values == {key: setting.default for key, setting in SETTINGS.items() if key != "flavor"} | {
        "tag_map": {"exlainability": "explainability"},
        "fetch": {key: setting.default for key, setting in FETCH.items()},
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ("colour = 'blue'\n", "unknown key 'colour' — known keys: source, flavor, papers_folder"),
        ('settle = "fast"\n', "settle must be a number, not 'fast'"),
        ("recursive = 1\n", "recursive must be true or false, not 1"),
        ("wait = true\n", "wait must be a number, not True"),
        ("[tag_map]\nx = 'two words'\n", "tag_map.x must be a tag"),
        ("papers_folder = \n", "not valid TOML"),
    ],
)
def test_a_broken_settings_file_is_one_line_naming_key_and_file(tmp_path, text, message):
    vault = tmp_path / "vault"
    path = settings_file(vault, text)
    result = run_cli("import", EXAMPLE, vault)
    assert result.returncode == 2 and result.stderr.startswith(f"Error: {path}: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (vault / "arXiv").exists()


def test_settings_apply_and_the_command_line_wins(tmp_path):
    vault = tmp_path / "vault"
    settings_file(vault, 'papers_folder = "Research/Papers"\ndigest_name = "Digest {date}"\nquiet = true\n')
    result = run_cli("import", EXAMPLE, vault, check=True)
    assert result.stdout == "" and (vault / "Research" / "Papers").is_dir()
    assert (vault / "arXiv" / "Digests" / "Digest 2024-01-18.md").exists()
    other = tmp_path / "other.toml"
    other.write_text('digest_name = "Day {date}"\n')
    run_cli("import", EXAMPLE, tmp_path / "v2", "--config", other, "--digest-name", "Daily {date}", check=True)
    assert (tmp_path / "v2" / "arXiv" / "Digests" / "Daily 2024-01-18.md").exists()
    result = run_cli("import", EXAMPLE, tmp_path / "v3", "--config", tmp_path / "none.toml")
    assert result.returncode == 2 and "--config" in result.stderr and "does not exist" in result.stderr


def test_tag_map_merges_the_misspelt_tag_and_prefix_nests_them(corpus, tmp_path):
    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    # The corpus' "## exlainability" sections are all empty: a later digest lists the same papers under it.
    text = (corpus / "2022-12-05.md").read_text()
    (src / "2022-12-05.md").write_text(text)
    (src / "2022-12-06.md").write_text(text.replace("## explainability", "## exlainability"))
    settings_file(vault, 'tag_prefix = "arxiv/"\n[tag_map]\nexlainability = "explainability"\n')
    run_cli("import", src, vault, check=True)
    tags = {tag for note in (vault / "arXiv" / "Papers").glob("*.md") for tag in frontmatter.load(note)["tags"]}
    assert "arxiv/explainability" in tags and all(tag.startswith("arxiv/") for tag in tags)
    assert not any("exlainability" in tag for tag in tags)


def test_init_writes_settings_and_templates_that_change_nothing_until_edited(tmp_path):
    plain, initialised = tmp_path / "plain", tmp_path / "init"
    result = run_cli("init", initialised, check=True)
    assert "written: " in result.stdout and (initialised / ".vaultsync" / "templates" / "paper.md.j2").exists()
    run_cli("import", EXAMPLE, plain, check=True)
    run_cli("import", EXAMPLE, initialised, check=True)
    assert vault_files(initialised) == vault_files(plain)
    again = run_cli("init", initialised, check=True)
    assert "kept (it exists)" in again.stdout and "written" not in again.stdout.replace("written: ", "")
    logseq = tmp_path / "graph"
    assert json.dumps(run_cli("init", logseq, "--flavor", "logseq", check=True).stdout).count("written") == 4  # + queue
    assert "TODO" in (logseq / ".vaultsync" / "templates" / "digest.md.j2").read_text()


def test_a_vault_whose_settings_name_the_source_is_all_the_commands_need(tmp_path):
    vault = tmp_path / "vault"
    missing = run_cli("import", vault)
    assert missing.returncode == 2 and "has no `source` setting" in missing.stderr
    assert run_cli("init", vault, "--source", tmp_path / "nowhere").returncode == 2
    run_cli("init", vault, "--source", EXAMPLE.parent, check=True)
    assert f'\nsource = "{EXAMPLE.parent}"\n' in (vault / ".vaultsync" / "config.toml").read_text()

    summary = json.loads(run_cli("import", vault, "--json", check=True).stdout)
    assert summary["papers"]["created"] == 42
    before = vault_files(vault)
    run_cli("watch", vault, "--once", check=True)
    assert vault_files(vault) == before
    unit = run_cli("service", "systemd", vault, "--", "--settle", "5", check=True).stdout
    assert f'"watch" "{vault}" "--settle" "5"' in unit  # the unit reads the settings when it starts
    assert run_cli("import", EXAMPLE, vault, tmp_path / "third").returncode == 2

    settings_file(vault, 'source = "../digests"\n')  # relative to the vault
    (tmp_path / "digests").mkdir()
    assert run_cli("import", vault, check=True).stdout == "Nothing to import: no digests found.\n"


def test_every_option_and_key_comes_from_its_one_declaration():
    """Each setting is a key of the settings file, checked by its declared type, and the option of each command
    its declaration names, with its flags and help; no command has an option declared anywhere else."""
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    wrong = {str: 1, bool: "yes", int: "many", float: "long", list: "x", dict: 1}
    for table, where in ((SETTINGS, ""), (FETCH, "[fetch]\n")):
        for name, setting in table.items():
            parsed = parse(where + tomli_w(name, setting.default), Path("f"))
            assert (parsed["fetch"] if where else parsed)[name] == setting.default, name
            kind = setting.kind[0] if isinstance(setting.kind, tuple) else setting.kind
            with pytest.raises(ConfigError, match=f"{'fetch.' if where else ''}{name} must be"):
                parse(where + tomli_w(name, wrong[kind]), Path("f"))
    declared = {(command, setting.name) for table in (SETTINGS, FETCH, RUN) for setting in table.values()
                for command in setting.commands}  # fmt: skip
    options = {(name, param.name) for name, command in commands.items() for param in command.params}
    assert {(name, param) for name, param in options if param != "help"} - arguments() == declared
    for table in (SETTINGS, FETCH, RUN):
        for setting in table.values():
            for command in setting.commands:
                [param] = [param for param in commands[command].params if param.name == setting.name]
                assert param.help == setting.help and setting.option_flags[0].split("/")[0] in param.opts
    assert not set(SETTINGS) & set(RUN) and not set(FETCH) & (set(SETTINGS) | set(RUN))


def arguments() -> set[tuple[str, str]]:
    """The commands' arguments (SRC, VAULT…): no options."""
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    return {(name, p.name) for name, c in commands.items() for p in c.params if p.param_type_name == "argument"}


def tomli_w(key: str, value: object) -> str:
    """`key = value` as TOML (a table for a dict)."""
    if isinstance(value, dict):
        return f"[{key}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in value.items())
    return f"{key} = {json.dumps(value)}\n"

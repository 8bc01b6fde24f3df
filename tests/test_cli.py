"""Scenarios through the installed `vaultsync` command: exit codes, messages, dry run, re-import, templates."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_cli, vault_files

EXAMPLE = REPO / "examples" / "digests" / "2024-01-18.md"


def mtimes(root: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*.md")}


def test_version_and_module_entry_point():
    assert run_cli("--version", check=True).stdout.strip().startswith("vaultsync ")
    result = subprocess.run([sys.executable, "-m", "vaultsync", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("vaultsync ")


def test_every_command_and_option_is_documented():
    """Every command's help has an example; the README shows every command and every option."""
    import typer

    from vaultsync.cli import app

    readme = (REPO / "README.md").read_text()
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert set(commands) == {"import", "watch", "init", "status", "doctor", "service", "fetch"}
    for name, command in commands.items():
        assert name in run_cli("--help", check=True).stdout
        assert "Example:" in run_cli(name, "--help", check=True).stdout
        assert f"vaultsync {name} " in readme
        options = [opt for param in command.params if param.param_type_name == "option" for opt in param.opts]
        assert [opt for opt in options if opt.startswith("--") and f"`{opt}" not in readme] == [], name


@pytest.mark.parametrize(
    "args, message",
    [
        (["import", "/no/such/dir", "{vault}"], "/no/such/dir does not exist"),
        (["import", EXAMPLE, "{file}"], "is a file, not a vault folder"),
        (["import", EXAMPLE, "{vault}", "--date", "yesterday"], "is not a date"),
        (["import", EXAMPLE, "{vault}", "--digest-name", "{date}"], "must contain {date} and not be the bare date"),
        (["import", EXAMPLE, "{vault}", "--papers-folder", "../outside"], "plain relative path inside the vault"),
        (["import", EXAMPLE, "{vault}", "--templates", "/no/such/templates"], "is not a folder"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "file").write_text("x")
    places = {"{vault}": str(tmp_path / "v"), "{file}": str(tmp_path / "file")}
    args = [places.get(str(a), str(a)) for a in args]
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "v").exists()


def test_bad_files_are_reported_and_the_rest_imports(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(EXAMPLE, src)
    (src / "2024-01-19.md").write_bytes(b"\x00\x01binary")
    (src / "2024-01-20.md").write_bytes(b"## caf\xe9\n")
    (src / "notes.txt").write_text("a shopping list\n")
    (src / ".hidden.md").write_text("ignored")
    result = run_cli("import", src, tmp_path / "vault")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 2 and all(str(src) in line for line in errors)  # files named like digests
    assert f"{src / 'notes.txt'}: no '## keyword' sections or '### Title:' entries, not a digest — skipped" in (
        result.stdout
    )
    assert any("binary" in line for line in errors) and any("not UTF-8" in line for line in errors)
    assert "Traceback" not in result.stderr
    assert len(list((tmp_path / "vault" / "arXiv" / "Papers").iterdir())) == 42


def test_reimport_writes_nothing(tmp_path):
    vault = tmp_path / "vault"
    run_cli("import", EXAMPLE, vault, check=True)
    before = mtimes(vault)
    summary = json.loads(run_cli("import", EXAMPLE, vault, "--json", check=True).stdout)
    assert summary["papers"] == {"created": 0, "updated": 0, "unchanged": 42, "kept": 0, "deleted": 0}
    assert summary["index_notes"]["unchanged"] == 1 and summary["changes"] == []
    assert mtimes(vault) == before


def test_dry_run_writes_nothing_and_prints_the_plan(tmp_path):
    vault = tmp_path / "vault"
    result = run_cli("import", EXAMPLE, vault, "--dry-run", check=True)
    assert not vault.exists()
    assert result.stdout.count("would create: arXiv/Papers/") == 42
    assert "would create: arXiv/Digests/arXiv 2024-01-18.md" in result.stdout
    run_cli("import", EXAMPLE, vault, check=True)
    state = vault / ".vaultsync" / "state.sqlite"
    before = state.read_bytes()
    again = run_cli("import", EXAMPLE, vault, "--dry-run", "--json", check=True)
    assert json.loads(again.stdout)["dry_run"] is True and state.read_bytes() == before


def test_quiet_prints_nothing_on_success(tmp_path):
    result = run_cli("import", EXAMPLE, tmp_path / "vault", "--quiet", check=True)
    assert result.stdout == result.stderr == ""


def test_date_fallbacks_are_reported(tmp_path):
    src = tmp_path / "undated.md"
    shutil.copy(EXAMPLE, src)
    os.utime(src, (1_700_000_000, 1_700_000_000))
    by_option = run_cli("import", src, tmp_path / "a", "--date", "2023-05-06", check=True)
    assert "dated 2023-05-06 from its --date" in by_option.stdout
    assert (tmp_path / "a" / "arXiv" / "Digests" / "arXiv 2023-05-06.md").exists()
    by_mtime = run_cli("import", src, tmp_path / "b", "--json", check=True)
    report = json.loads(by_mtime.stdout)["digests"][0]
    assert report["date_source"] == "modification time" and report["day"] == "2023-11-14"


def test_empty_digest_makes_no_index_note(corpus, tmp_path):
    result = run_cli("import", corpus / "2024-02-16.md", tmp_path / "vault", check=True)
    assert "1 digest read (0 with papers, 1 empty)" in result.stdout
    assert vault_files(tmp_path / "vault") == {}


def test_malformed_entry_warns_with_file_and_line(tmp_path):
    src = tmp_path / "2024-01-18.md"
    src.write_text(EXAMPLE.read_text().replace("(arXiv:2401.08655v1 [cs.CV])", "(no id)", 1))
    result = run_cli("import", src, tmp_path / "vault", check=True)
    assert f"Warning: {src}:24: heading is not" in result.stderr
    assert "41 created" in result.stdout


def test_template_override_from_folder_and_vault(tmp_path):
    vault = tmp_path / "vault"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "paper.md.j2").write_text("{{ paper.title | md }} / {{ paper.arxiv_id }}\n")
    run_cli("import", EXAMPLE, vault, "--templates", mine, check=True)
    note = vault / "arXiv" / "Papers" / "One-Step Diffusion Distillation via Deep Equilibrium Models.md"
    assert " %%\nOne-Step Diffusion Distillation via Deep Equilibrium Models / 2401.08639\n" in note.read_text()
    index = (vault / "arXiv" / "Digests" / "arXiv 2024-01-18.md").read_text()
    assert "- [ ] [[One-Step" in index  # the digest template kept its default
    in_vault = vault / ".vaultsync" / "templates"
    in_vault.mkdir(parents=True)
    (in_vault / "digest.md.j2").write_text("{% for s in digest.sections %}{{ s.keyword }}\n{% endfor %}")
    run_cli("import", EXAMPLE, vault, "--templates", mine, check=True)
    assert " %%\ndiffusion\nself-supervised\n" in (vault / "arXiv/Digests/arXiv 2024-01-18.md").read_text()


@pytest.mark.parametrize(
    "template, message", [("{% if %}", "paper.md.j2:1"), ("{{ paper.nope }}", "has no attribute 'nope'")]
)
def test_broken_template_exits_2_before_writing(tmp_path, template, message):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "paper.md.j2").write_text(template)
    result = run_cli("import", EXAMPLE, tmp_path / "vault", "--templates", mine)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "vault").exists()


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{ 1/0 }}", "paper.md.j2:1: ZeroDivisionError: division by zero — fix the template"),
        ('{{ "x" + 1 }}', "paper.md.j2:1: TypeError: can only concatenate str"),
        ('{% include "nope.j2" %}', "template nope.j2 (included by paper.md.j2) not found in"),
        ('{% include "part.j2" %}', "part.j2:2: 'int object' has no attribute 'upper' — fix the template"),
    ],
)
def test_template_failing_while_rendering_is_one_line_naming_it(tmp_path, template, message):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "paper.md.j2").write_text(template)
    (mine / "part.j2").write_text("{{ paper.title }}\n{{ paper.version.upper() }}\n")
    result = run_cli("import", EXAMPLE, tmp_path / "vault", "--templates", mine)
    assert result.returncode == 2 and result.stderr.startswith("Error: template ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "vault").exists()


def test_template_failing_on_one_paper_names_it_and_writes_nothing(tmp_path):
    """The template fails only on a paper of the second digest: the first one is not imported either."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(EXAMPLE, src)
    (src / "2024-01-19.md").write_text(EXAMPLE.read_text().replace("arXiv:2401.08", "arXiv:2401.09"))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "paper.md.j2").write_text("{{ paper.title }}\n{{ paper.code_url.upper() if paper.first_seen.day == 19 }}\n")
    result = run_cli("import", src, tmp_path / "vault", "--templates", mine)
    assert result.returncode == 2 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: template {mine / 'paper.md.j2'}:2: 'None' has no attribute 'upper'")
    assert "(on paper 2401.09" in result.stderr and f"in {src / '2024-01-19.md'} —" in result.stderr
    assert "(nothing was written)" in result.stderr and not (tmp_path / "vault").exists()
    (mine / "paper.md.j2").write_text("{{ paper.title }}\n{{ paper.code_url.upper() if paper.code_url }}\n")
    run_cli("import", src, tmp_path / "vault", "--templates", mine, check=True)


def test_digest_text_is_never_template_code(tmp_path):
    src = tmp_path / "2024-01-18.md"
    src.write_text(EXAMPLE.read_text().replace("Diffusion models excel", "{{ 7*7 }} {% raw %} Diffusion models excel"))
    run_cli("import", src, tmp_path / "vault", check=True)
    note = (tmp_path / "vault/arXiv/Papers/One-Step Diffusion Distillation via Deep Equilibrium Models.md").read_text()
    assert "{{ 7\\*7 }} {% raw %} Diffusion models excel" in note


def test_user_text_outside_the_managed_region_survives_an_update(tmp_path):
    vault = tmp_path / "vault"
    run_cli("import", EXAMPLE, vault, check=True)
    note = vault / "arXiv/Papers/One-Step Diffusion Distillation via Deep Equilibrium Models.md"
    note.write_text(note.read_text().replace("## Notes\n", "## Notes\n\nMy thoughts.\n"))
    later = tmp_path / "2024-01-19.md"
    later.write_text(EXAMPLE.read_text().replace("2401.08639v1", "2401.08639v2"))
    summary = json.loads(run_cli("import", later, vault, "--json", check=True).stdout)
    assert summary["papers"]["updated"] == 42 and summary["papers"]["created"] == 0
    text = note.read_text()
    assert text.endswith("## Notes\n\nMy thoughts.\n\n")
    assert "arxiv_version: 2" in text and '  - "[[arXiv 2024-01-19]]"' in text and "first_seen: 2024-01-18" in text


def test_readme_starts_with_the_two_commands_ci_runs():
    readme = (REPO / "README.md").read_text()
    blocks = [block.split("```", 1)[0].strip() for block in readme.split("```sh\n")[1:3]]
    assert "pip install . && vaultsync import examples/digests" in blocks[0]
    assert blocks[1] == "pip install '.[test]' && npm ci --prefix tests/logseq --no-audit --no-fund --silent && pytest"
    assert blocks[1] in (REPO / ".ci" / "run").read_text().splitlines()
    assert "pytest -m slow" in (REPO / ".ci" / "run").read_text() and "`pytest -m slow`" in readme


def test_templates_ship_inside_the_installed_package(tmp_path):
    from importlib.metadata import distribution

    # pip records an editable install in direct_url.json; a virtualenv inside the clone is no editable install.
    direct_url = json.loads(distribution("vaultsync").read_text("direct_url.json") or "{}")
    if direct_url.get("dir_info", {}).get("editable") and not os.environ.get("CI"):
        pytest.skip("vaultsync is installed editable (pip install -e): there is no installed package to check")
    # The installed package as the `vaultsync` script imports it (never the source tree, whatever the cwd).
    where = "import vaultsync, vaultsync.pipeline.render as r; print(vaultsync.__file__); print(r.default_templates())"
    package, templates = subprocess.run(
        [sys.executable, "-c", where], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert Path(package).resolve().parent != REPO / "vaultsync"
    assert Path(templates).resolve() == Path(package).resolve().parent / "templates"
    shipped = sorted(REPO.joinpath("templates").glob("*.j2"))
    assert shipped and all((Path(templates) / t.name).read_text() == t.read_text() for t in shipped)


def test_ctrl_c_stops_an_import_cleanly_and_the_next_run_finishes_it(corpus_import, corpus, tmp_path):
    vault = tmp_path / "vault"
    script = Path(sys.executable).with_name("vaultsync")
    process = subprocess.Popen([script, "import", corpus, vault], stderr=subprocess.PIPE, text=True)
    while not (vault / "arXiv" / "Digests").exists():  # interrupt it in the middle
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert (
        process.returncode == 130
        and stderr == "Error: interrupted — every note written is complete; import again to finish\n"
    )
    assert not (vault / ".vaultsync" / "lock.owner").exists()
    run_cli("import", corpus, vault, check=True)
    assert vault_files(vault) == vault_files(corpus_import[0])


@pytest.mark.parametrize("command", ["status", "doctor"])
def test_missing_vault_does_not_exist(tmp_path, command):
    result = run_cli(command, tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stderr == f"Error: {tmp_path / 'nowhere'} does not exist — give the vault's folder\n"
    (tmp_path / "file").write_text("x")
    result = run_cli(command, tmp_path / "file")
    assert result.returncode == 2 and "is a file, not a vault folder" in result.stderr


@pytest.mark.parametrize("command", ["import", "watch"])
def test_quiet_and_verbose_together_is_a_usage_error(tmp_path, command):
    result = run_cli(command, EXAMPLE, tmp_path / "vault", "-q", "-v")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "Error: --quiet and --verbose contradict each other — give one of them\n"
    assert not (tmp_path / "vault").exists()


def test_flavor_and_quiet_from_the_settings_file_are_reported_as_such(tmp_path):
    vault = tmp_path / "vault"
    (vault / ".vaultsync").mkdir(parents=True)
    (vault / ".vaultsync" / "config.toml").write_text('flavor = "logseq"\nquiet = true\n')
    result = run_cli("import", EXAMPLE, vault, "-v", check=True)  # -v on the command line wins over quiet
    assert "\nLogseq graph (settings file)\n" in result.stdout and "created: pages/" in result.stdout
    again = run_cli("import", EXAMPLE, vault, "--flavor", "logseq", "--verbose", check=True)
    assert "Logseq graph (--flavor)\n" in again.stdout

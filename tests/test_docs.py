"""The newcomer's two commands stay true, and CI runs the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = "pip install . && ccpkh-excel demo"
TESTS = 'pip install ".[test]" && python -m pytest'


def _commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Quy trình")[0]
    return re.findall(r"```bash\n(.+?)\n```", setup, re.S)


def test_readme_gives_exactly_the_two_setup_commands():
    assert _commands() == [DEMO, TESTS]


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert TESTS in lines


def test_every_command_is_in_the_readme():
    from ccpkh_excel.frontends.cli import cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"`ccpkh-excel {name}" in readme, name


def test_the_api_example_runs_and_prints_what_the_docs_say(tmp_path):
    import subprocess
    import sys

    doc = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
    code = re.search(r"## Example.*?```python\n(.+?)```", doc, re.S).group(1)
    printed = re.search(r"It prints:\n\n```text\n(.+?)```", doc, re.S).group(1)
    script = tmp_path / "vi_du.py"
    script.write_text(code, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout == printed

"""The README's Python quick start, run as written (the install line is run by
scripts/test, which installs the module exactly so)."""

import re
import shutil
import subprocess
import sys

from conftest import ROOT


def quick_start():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Python quick start\n(.*?)^## ", text, re.S | re.M)
    assert section, "README.md has a 'Python quick start' section"
    return section.group(1)


def test_the_install_line_is_the_one_scripts_test_runs():
    install = [l.strip() for l in quick_start().splitlines() if "pip install" in l]
    assert install == ["python3 -m pip install ./smtplog-py"]
    script = (ROOT / "scripts" / "test").read_text()
    assert "sed -n '/^## Python quick start/" in script and 'eval "$install"' in script


def test_the_python_quick_start_runs_as_written(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", quick_start(), re.S)
    assert len(blocks) == 1
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "sample.log", tmp_path / "examples" / "sample.log")
    proc = subprocess.run([sys.executable, "-c", blocks[0]], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "339 records stored"
    assert lines[1] == "2026-11-28 sum 103 bounced 7"
    assert lines[2] == "2026-11-29 sum 0 bounced 0"
    assert "Email: alice@dept.example.edu" in proc.stdout
    assert "2026-11-28 20:47:52+08:00 bounced nouser-lee@dept.example.edu" in lines[3]

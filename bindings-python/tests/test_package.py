"""What pip installs besides the code: the licence declared (PEP 639) and both licence texts in
the dist-info, identical to the repository's, so a lot's IT can see the terms without the source."""
from __future__ import annotations

from importlib import metadata

from conftest import REPO


def test_the_installed_distribution_carries_its_licence_texts() -> None:
    dist = metadata.distribution("pyun")
    assert dist.metadata["License-Expression"] == "MIT OR Apache-2.0"
    assert sorted(dist.metadata.get_all("License-File") or []) == ["LICENSE-APACHE", "LICENSE-MIT"]
    shipped = {f.name: f for f in dist.files or [] if "licenses" in f.parts}
    for name in ("LICENSE-MIT", "LICENSE-APACHE"):
        assert name in shipped, f"{name} is not in the wheel's dist-info/licenses"
        assert shipped[name].read_text(encoding="utf-8") == (REPO / name).read_text(encoding="utf-8")

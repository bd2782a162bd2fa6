"""Every relative link of README.md and docs/*.md points to a file that exists and, when
it names a heading (#anchor), to a heading of that file, by GitHub's rule for anchors."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchors(document: Path) -> set[str]:
    """GitHub's anchors: the heading in lower case, without punctuation, spaces as hyphens;
    a repeated heading gets -1, -2, ..."""
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^#+\s+(.+?)\s*$", FENCE.sub("", document.read_text()), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in LINK.findall(FENCE.sub("", document.read_text())):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (linked.suffix != ".md" or anchor not in anchors(linked)):
            broken.append(f"{target}: no such heading")
    return broken


def test_the_docs_exist_and_the_readme_stays_short():
    assert {path.name for path in documents()} >= {
        "README.md",
        "architecture.md",
        "features.md",
        "configuration.md",
        "operations.md",
        "security.md",
    }
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300


def test_every_relative_link_points_to_a_file_and_heading_that_exist():
    assert {str(document.relative_to(ROOT)): broken_links(document) for document in documents()} == {
        str(document.relative_to(ROOT)): [] for document in documents()
    }


def test_the_anchor_rule_is_githubs():
    document = ROOT / "docs" / "operations.md"
    assert "health-logs-and-metrics" in anchors(document)
    assert "production-with-docker-compose" in anchors(document)
    assert "guests-uploads" in anchors(ROOT / "docs" / "features.md")

"""What `make install` and `make dist` carry: every page asset under htdocs/
and every migration under sql/ is listed in Makefile.am's installed data, so a
hosting provider's install (or a build from the release tarball) serves the
same dashboard and migrates to the same schema as this checkout."""
import re

from conftest import SRCDIR


def installed_data():
    text = (SRCDIR / "Makefile.am").read_text()
    block = re.search(r"^nobase_dist_ctndata_DATA = \\\n((?:\t.*\n)+)", text, re.M)
    assert block, "Makefile.am has no nobase_dist_ctndata_DATA list"
    return {line.strip().rstrip("\\").strip() for line in block.group(1).splitlines()}


def shipped(folder, patterns):
    return {str(p.relative_to(SRCDIR)) for pattern in patterns
            for p in (SRCDIR / folder).rglob(pattern) if p.is_file()}


def test_every_dashboard_file_is_installed():
    # htdocs/vendor/ is Chart.js, copied from node_modules by `make vendor` (gitignored) and
    # installed and distributed by its own rules (VENDOR_CHART in Makefile.am), not listed.
    missing = {f for f in shipped("htdocs", ["*.html", "*.css", "*.js", "*.svg"])
               if not f.startswith("htdocs/vendor/")} - installed_data()
    assert not missing, f"not in Makefile.am's nobase_dist_ctndata_DATA: {sorted(missing)}"


def test_every_migration_is_installed():
    missing = shipped("sql", ["*.sql"]) - installed_data()
    assert not missing, f"not in Makefile.am's nobase_dist_ctndata_DATA: {sorted(missing)}"


def test_every_installed_file_exists():
    gone = {f for f in installed_data() if not (SRCDIR / f).is_file()}
    assert not gone, f"listed in Makefile.am but not in the tree: {sorted(gone)}"

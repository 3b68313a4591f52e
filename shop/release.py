"""Which release of the code this process runs, for the keys of what it caches in Redis."""

from pathlib import Path


def git_head(base: Path) -> str:
    """The commit checked out in ``base`` (its first 12 hex digits), read from ``.git`` without
    running git; "" when it is not a git checkout. A worktree's ``.git`` file and refs packed by
    ``git gc`` are followed."""
    try:
        git = base / ".git"
        if git.is_file():  # a worktree: "gitdir: /path/to/repo/.git/worktrees/name"
            git = (base / git.read_text().split(":", 1)[1].strip()).resolve()
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]  # a detached HEAD is the commit itself
        ref = head[5:]
        for root in (git, common):
            if (root / ref).is_file():
                return (root / ref).read_text().strip()[:12]
        if (common / "packed-refs").is_file():
            for line in (common / "packed-refs").read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0][:12]
    except (OSError, IndexError):
        pass
    return ""

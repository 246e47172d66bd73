"""Fails early, with the fix, when a machine lacks what the local stack needs."""

from __future__ import annotations

import shutil
import sys

from emulator.stack import StackError, firestore_jar


def main() -> None:
    problems = []
    if not shutil.which("java"):
        problems.append("Java 17+ (Firestore emulator): apt-get install openjdk-17-jre-headless")
    if not shutil.which("node"):
        problems.append("Node.js 20+ (Firebase Auth emulator): apt-get install nodejs npm")
    try:
        firestore_jar()
    except StackError as error:
        problems.append(str(error))
    if problems:
        print("The local stack cannot run on this machine yet:\n- " + "\n- ".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

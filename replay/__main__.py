"""Run the replay world.

python -m replay serve           # print the environment settings, serve until Ctrl-C
python -m replay run -- CMD...   # run CMD with the settings in its environment
"""

import argparse
import os
import subprocess
import sys
import time

from .world import ReplayWorld


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m replay")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve until interrupted, printing the settings to use")
    run = sub.add_parser("run", help="run a command with the settings in its environment")
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    with ReplayWorld() as world:
        if args.command == "serve":
            for name, value in world.env().items():
                print(f"export {name}={value}", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        if not cmd:
            parser.error("run needs a command")
        return subprocess.call(cmd, env={**os.environ, **world.env()})


if __name__ == "__main__":
    sys.exit(main())

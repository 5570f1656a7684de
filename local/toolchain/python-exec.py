# Runs one Pulumi Python program for our own Python language host (local/toolchain/python-host.ts),
# with the interpreter of the program's virtual environment. The `pulumi` wheel holds the runtime
# but not the script that upstream's host starts (sdk/python/cmd/pulumi-language-python-exec in
# pulumi/pulumi); this is ours, taking the same command line, so the wheel's runtime sees what it
# expects:
#
#   python -u python-exec.py --monitor ADDR --engine ADDR --project P --stack S --pwd DIR
#       --root_directory DIR --dry_run true|false --parallel N [--organization O] PROGRAM [ARGS...]
#
# with the stack's config in PULUMI_CONFIG (JSON object) and its secret keys in
# PULUMI_CONFIG_SECRET_KEYS (JSON list), both read by pulumi.runtime.
# Exit codes: 0 done; 32 the error was already reported to the engine (the host answers "bail");
# anything else is a failure the host reports with the code.
import argparse
import asyncio
import logging
import os
import runpy
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor

ERROR_ALREADY_REPORTED = 32

try:
    import pulumi
    import pulumi.runtime
except ImportError:
    traceback.print_exc()
    print(
        "The Pulumi Python SDK is not installed in the program's environment (the interpreter is "
        + sys.executable
        + "): set runtime.options.virtualenv in Pulumi.yaml to a virtual environment that has "
        "`pulumi` and the program's packages.",
        file=sys.stderr,
    )
    sys.exit(1)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python-exec.py", description="Run a Pulumi Python program")
    for flag in ("monitor", "engine", "project", "stack", "pwd", "root_directory", "dry_run", "parallel", "organization", "tracing"):
        parser.add_argument("--" + flag)
    parser.add_argument("program")
    parser.add_argument("args", nargs="*")
    return parser.parse_args(argv)


def configure_runtime(args):
    pulumi.runtime.set_all_config(pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env())
    parallel = int(args.parallel) if args.parallel else None
    pulumi.runtime.configure(
        pulumi.runtime.Settings(
            project=args.project,
            stack=args.stack,
            monitor=args.monitor,
            engine=args.engine,
            parallel=parallel,
            dry_run=args.dry_run == "true",
            organization=args.organization,
            root_directory=args.root_directory,
        )
    )
    return parallel


def user_frames_only(main_file):
    """The traceback from the program's own main file on (the frames of this script, runpy and the
    SDK's stack runner above it are noise to the user)."""
    frames = traceback.extract_tb(sys.exc_info()[2])
    for i, frame in enumerate(frames):
        if os.path.abspath(frame.filename) == main_file:
            return traceback.format_exc(limit=-(len(frames) - i))
    return traceback.format_exc()


def main(argv):
    args = parse_args(argv)
    parallel = configure_runtime(args)
    if args.pwd:
        os.chdir(args.pwd)
    program = os.path.abspath(args.program)
    if os.path.isdir(program) and not os.path.isfile(os.path.join(program, "__main__.py")):
        pulumi.log.error(f"no Python program in {program}: it has no __main__.py")
        return ERROR_ALREADY_REPORTED
    sys.argv = [args.program, *args.args]
    # The program's directory first on sys.path, as `python <dir>` would have it.
    sys.path.insert(0, program if os.path.isdir(program) else os.path.dirname(program))

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Blocking work (gRPC calls) runs on the loop's default executor: size it by --parallel.
    executor = ThreadPoolExecutor(max_workers=max(parallel or 1, 1) * 4)
    loop.set_default_executor(executor)
    # A failed resource leaves futures nobody awaits; asyncio would log each one at exit.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(lambda: runpy.run_path(program, run_name="__main__")))
        return 0
    except pulumi.RunError as err:
        pulumi.log.error(str(err))
        return ERROR_ALREADY_REPORTED
    except Exception:  # any failure of the program is reported to the engine with its traceback
        main_file = os.path.join(program, "__main__.py") if os.path.isdir(program) else program
        pulumi.log.error("Program failed with an unhandled exception:\n" + user_frames_only(main_file))
        return ERROR_ALREADY_REPORTED
    finally:
        executor.shutdown(wait=True)
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

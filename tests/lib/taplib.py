# SPDX-License-Identifier: MIT
"""TAP output for the Python test scripts, plan printed at the end.

    sys.path.insert(0, "<repo>/tests/lib")
    from taplib import tap, check, done

    tap(cond, "name", diag)   one test point; diag is printed when it fails
    check("name", fn)         runs fn(): None or True passes, a string that
                              starts with "SKIP" skips, anything else fails
                              with that as the diagnostic; an exception
                              fails without stopping the script
    sys.exit(done())          prints the plan; 1 if anything failed
"""
import sys

_results = []


def tap(ok, name, diag=""):
    ok = bool(ok)
    _results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(_results), name))
    if not ok and diag not in ("", None):
        for line in str(diag).splitlines()[-60:] or [""]:
            print("#   " + line)
    sys.stdout.flush()
    return ok


def check(name, fn):
    try:
        r = fn()
    except Exception as e:  # a failing check must not stop the others
        return tap(False, name, "%s: %s" % (type(e).__name__, e))
    if isinstance(r, str) and r.startswith("SKIP"):
        _results.append(True)
        print("ok %d - %s # %s" % (len(_results), name, r))
        sys.stdout.flush()
        return True
    return tap(r is None or r is True, name, r)


def done():
    print("1..%d" % len(_results))
    return 0 if all(_results) else 1

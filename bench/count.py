"""gdb command count-calls OUTFILE: count the instructions of each call.

Runs the loaded program (bench/roundtrip) to the first instruction of each
bench_call_* wrapper and single-steps it until it has returned to its
caller, callee, gate and return stub included. Writes one line per
wrapper to OUTFILE, "NAME INSTRUCTIONS WRPKRU RDPKRU", in the order the
program calls them, and fails unless the program exits with status 0
(it checks its own results).

Every single step counts as one instruction, so an instruction with a rep
prefix would count once per iteration; none of the measured paths has one.

Usage: gdb -batch -nx -x count.py -ex 'file PROG' -ex 'count-calls OUT'
"""
import gdb

WRAPPER = "bench_call_"
CALLS = ("f", "g10", "d2", "tls", "same", "same_ptr", "f_ptr")
# Matched as bytes: exact, and independent of the disassembler's version.
WRPKRU = b"\x0f\x01\xef"
RDPKRU = b"\x0f\x01\xee"


def reg(name):
    return int(gdb.parse_and_eval("$" + name).cast(gdb.lookup_type("long")))


def count_one(inferior):
    """Steps from a wrapper's entry until it has returned; the wrapper's
    return address and entry stack pointer say when: the gate switches
    stacks, so the stack pointer alone could not."""
    sp = reg("sp")
    ret = int.from_bytes(inferior.read_memory(sp, 8), "little")
    insns = wrpkru = rdpkru = 0
    while True:
        op = bytes(inferior.read_memory(reg("pc"), 3))
        insns += 1
        wrpkru += op == WRPKRU
        rdpkru += op == RDPKRU
        gdb.execute("stepi", to_string=True)
        if reg("pc") == ret and reg("sp") == sp + 8:
            return insns, wrpkru, rdpkru


class CountCalls(gdb.Command):
    def __init__(self):
        super().__init__("count-calls", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        out = arg.strip()
        if not out:
            raise gdb.GdbError("usage: count-calls OUTFILE")
        breakpoints = [gdb.Breakpoint("*" + WRAPPER + name, internal=True) for name in CALLS]
        gdb.execute("run", to_string=True)
        inferior = gdb.selected_inferior()
        rows = []
        while inferior.pid and len(rows) < len(CALLS):
            name = gdb.selected_frame().name()
            if not name or not name.startswith(WRAPPER):
                raise gdb.GdbError("stopped outside a wrapper, in %s" % name)
            rows.append((name[len(WRAPPER):],) + count_one(inferior))
            gdb.execute("continue", to_string=True)
        for bp in breakpoints:
            bp.delete()
        status = gdb.convenience_variable("_exitcode")
        if len(rows) != len(CALLS) or status != 0:
            raise gdb.GdbError("the program made %d of %d calls and exited with status %s"
                               % (len(rows), len(CALLS), status))
        with open(out, "w") as f:
            for row in rows:
                f.write("%s %d %d %d\n" % row)


# Stepping would print every stop.
gdb.execute("set suppress-cli-notifications on")
# The PKU VM has no network.
gdb.execute("set debuginfod enabled off")
CountCalls()

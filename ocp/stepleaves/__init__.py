"""Bitcoin Script for the final challenges and search rounds of a zkVM dispute.

Module map:

* :mod:`ocp.stepleaves.base`: :class:`CheckLeaf` (inputs, keyless cached body,
  key prefix, Python twin, witness builder and parser).
* :mod:`ocp.stepleaves.schema`: names and widths of the record fields and other
  values leaves take; the hash link of the trace.
* :mod:`ocp.stepleaves.challenges`: TraceHash, TraceHashZero, ProgramCounter,
  EntryPoint, Halt, HaltBeyondMax, StepBeyondN, FutureRead, ReadValue,
  CorrectHash, EquivocationResign.
* :mod:`ocp.stepleaves.search`: Choice, Reveal (and its chunking), Translate.
* :mod:`ocp.stepleaves.code`: Opcode chunk leaves over state 0's code.
* :mod:`ocp.stepleaves.execute`: ExecuteLeaf, one per micro-step kind, twins
  from :data:`ocp.zkvm.micro.MICRO_OPS`.
* :mod:`ocp.stepleaves.coverage`: the build-time check that every kind a
  program can run has a leaf.

See docs/stepleaves.md.
"""

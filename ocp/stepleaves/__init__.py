"""Bitcoin Script for the final challenges and search rounds of a zkVM dispute.

Module map:

* :mod:`ocp.stepleaves.base`: :class:`CheckLeaf` (inputs, keyless cached body,
  key prefix, Python twin, witness builder and parser).
* :mod:`ocp.stepleaves.schema`: names and widths of the record fields and other
  values leaves take, the groups signed under one key; the hash link of the trace.
* :mod:`ocp.stepleaves.challenges`: TraceHash, TraceHashZero, ProgramCounter,
  EntryPoint, Halt, HaltBeyondMax, StepBeyondN, FutureRead, ReadValue,
  CorrectHash, EquivocationResign.
* :mod:`ocp.stepleaves.search`: Choice, Reveal (and its chunking), Translate, and
  the leaves of a search built from ``ocp.zkvm.search.NArySearch``.
* :mod:`ocp.stepleaves.tables` and :mod:`ocp.stepleaves.code`: a program's words
  as chunk tables; Opcode chunk leaves over state 0's code.
* :mod:`ocp.stepleaves.init`: Input, InitializedChunk, Uninitialized (INIT reads
  against state 0) and AddressesSections (the pc is code).
* :mod:`ocp.stepleaves.semantics`: the Script form of every micro-step kind of
  ``ocp.zkvm.micro.MICRO_OPS``.
* :mod:`ocp.stepleaves.execute`: ExecuteLeaf, one per micro-step kind (twins from
  the table), and RecordRest, the Execute transaction's other input.
* :mod:`ocp.stepleaves.coverage`: the build-time check that every kind a
  program can run has a leaf.
* :mod:`ocp.stepleaves.game`: a game's leaves, and the values each sees in a
  dispute played off-chain.

See docs/stepleaves.md.
"""

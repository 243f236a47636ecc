"""Regtest dispute drills: the whole protocol, run on a real chain."""

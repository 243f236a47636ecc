"""The signing ceremony of a MuSig2 committee (issue 17).

* ``nonces`` -- a signer's crash-safe record of the public nonces it handed out
"""

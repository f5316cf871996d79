"""Which databases belong to this installation, how that is proven, and where its Fernet key is kept.

A checkout is one installation, named by ``SELLERFLOW_INSTANCE``. Its databases carry that name, are marked
with it (a comment on the database), and nothing in sellerflow changes a database whose mark is not its own.
"""

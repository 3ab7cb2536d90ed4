"""Account screening and tiering, one area of the accounts app: the pure scoring engine
(``engine``), its models (``models``, registered under the ``accounts`` label through
``accounts.models``), the writes (``services``) and reads (``selectors``), the Celery tasks
(``tasks``), the pages (``views``, ``forms``), the admin (``admin``, imported by
``accounts.admin``) and the default scoring model (``defaults``). Import from the submodules;
this package re-exports nothing, so importing it at app loading pulls in nothing else.
"""

"""The top floor: the `dubline` command line (``cli.main``) and the `dubline-editor` launcher (``cli.gui_main``).

It may import every floor below it (``editor``, ``project``, ``engine``); nothing imports it.
"""

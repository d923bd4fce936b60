"""The main window's controllers, one per concern: the project file (new/open/save/recovery), the media
(source audio, waveform, preview proxies, relinking), imports, exports, the source's own dialogue
(transcription, actors) and the window's actions and menus.

Each is a plain QObject (or builder) that the window creates once and owns; each talks to the window's
widgets and the Document, and keeps the state of its own concern (the media generation, the running
export, the recent-files list...), so ``MainWindow`` only lays out the widgets and wires them."""

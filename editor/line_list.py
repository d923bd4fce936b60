"""The line list: every region as a row, like a subtitle editor's grid.

Columns: #, start, end, duration, track, voice, emotion, text, status,
characters per second, issues.  Moving the current row (arrow keys, Page
Up/Down, a click) selects that region and moves the playhead to its start;
selecting on the timeline selects the row.  The text cell edits inline (F2,
Enter or typing), one undo step per edit.  A find/replace bar (Ctrl+F in the
list) searches the text of all lines or of the current track, plain or
regex; Replace All is one undo step.  Checks flag overlaps with another
track, lines too short for their text (the engine's shortest length, measured
in the background) and reading speed over a threshold; the list sorts by any
column and filters by track, status, issues and text.

2,000 rows stay responsive: the model keeps one flat list of (track,
region) refreshed on structural changes, per-row updates otherwise, and the
filter is a plain predicate over cached values.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from editor import commands as cmd
from editor.document import Document
from editor.edit_commands import SetRegionTexts
from editor.emotion_widget import mode_of
from project.line_checks import (
    DEFAULT_MAX_CPS,
    chars_per_second,
    compile_find,
    line_issues,
    overlapping_ids,
    replace_text,
)
from project.timecode import format_tc

# the text first after the times (a narrow dock still shows it), as subtitle editors do
COLUMNS = ("#", "Start", "End", "Length", "Text", "Original", "CPS", "Issues", "Track", "Voice", "Emotion", "Status")
COLUMN_WIDTHS = (34, 92, 92, 46, 260, 200, 40, 160, 70, 70, 70, 60)
COL_TEXT = COLUMNS.index("Text")
COL_ORIGINAL = COLUMNS.index("Original")  # the transcribed source line, when the region has one
COL_STATUS = COLUMNS.index("Status")
COL_ISSUES = COLUMNS.index("Issues")
COL_CPS = COLUMNS.index("CPS")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
ISSUE_COLOR = QColor("#e8a33d")


_MODE_LABELS = {"source": "from original", "vector": "sliders", "audio": "clip", "line": "from line", "voice": ""}


def emotion_label(e: dict) -> str:
    """The Emotion column: the inspector's own reading of the emotion source (emotion_widget.mode_of), with
    the prompt itself for a text prompt."""
    if not e:
        return ""
    mode = mode_of(e)
    return str(e["text"]) if mode == "text" else _MODE_LABELS.get(mode, "")


class LineListModel(QAbstractTableModel):
    def __init__(self, doc: Document, renderer=None, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.renderer = renderer
        self.max_cps = DEFAULT_MAX_CPS
        self.rows: list = []  # (track, region), by start time
        self.row_of: dict[str, int] = {}
        self._overlaps: dict[str, str] = {}
        self._issues: dict[str, list] = {}
        doc.regionsChanged.connect(self._on_structure)
        doc.tracksChanged.connect(self._on_structure)
        doc.projectReplaced.connect(self.rebuild)
        doc.regionChanged.connect(self._on_region)
        if renderer is not None:
            renderer.statusChanged.connect(self._on_status)
            renderer.boundsChanged.connect(self._on_bounds)
        self._bounds_timer = QTimer(self)
        self._bounds_timer.setSingleShot(True)
        self._bounds_timer.setInterval(200)
        self._bounds_timer.timeout.connect(self.recheck)
        self._structure_timer = QTimer(self)
        self._structure_timer.setSingleShot(True)
        self._structure_timer.setInterval(0)
        self._structure_timer.timeout.connect(self.rebuild)
        self.rebuild()

    # ------------------------------------------------------------ rows
    def rebuild(self) -> None:
        self._structure_timer.stop()
        self.beginResetModel()
        self.rows = sorted(self.doc.project.all_regions(), key=lambda tr: (tr[1].start, tr[0].id))
        self._apply_sort()
        self._recheck_all()
        self.endResetModel()

    # sorting lives here, not in the proxy: a proxy re-sorts on every filter change through a
    # Python lessThan (2,000 rows: ~100 ms); here it is one list.sort with a key (~1 ms)
    sort_column = 1
    sort_order = Qt.SortOrder.AscendingOrder

    def _apply_sort(self) -> None:
        col = self.sort_column
        if col not in (0, 1):  # start order is the natural order (and # follows it)
            key = (lambda tr: (self._sort_value(tr, col), tr[1].start)) if col != COL_ISSUES else \
                (lambda tr: (len(self._issues.get(tr[1].id, [])), tr[1].start))
            self.rows.sort(key=key)
        if self.sort_order == Qt.SortOrder.DescendingOrder:
            self.rows.reverse()
        self.row_of = {r.id: i for i, (_, r) in enumerate(self.rows)}

    def _sort_value(self, tr, col: int):
        t, r = tr
        name = COLUMNS[col]
        if name == "End":
            return r.end
        if name == "Length":
            return r.duration
        if name == "Track":
            return t.name
        if name == "Voice":
            return r.voice or t.default_voice
        if name == "Emotion":
            return emotion_label(r.emotion)
        if name == "Text":
            return r.text
        if name == "Original":
            return r.source.text if getattr(r, "source", None) is not None else ""
        if name == "Status":
            return self.renderer.status(r.id) if self.renderer is not None else ""
        if name == "CPS":
            return chars_per_second(r.text, r.duration)
        return r.start

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        old = {r.id: i for i, (_, r) in enumerate(self.rows)}
        self.rows.sort(key=lambda tr: (tr[1].start, tr[0].id))
        self._apply_sort()
        ids = [r.id for _, r in self.rows]
        from_rows = [self.index(old[i], c) for i in ids for c in range(len(COLUMNS))]
        to_rows = [self.index(k, c) for k in range(len(ids)) for c in range(len(COLUMNS))]
        self.changePersistentIndexList(from_rows, to_rows)
        self.layoutChanged.emit()

    @property
    def natural_order(self) -> bool:
        return self.sort_column in (0, 1) and self.sort_order == Qt.SortOrder.AscendingOrder

    def _on_structure(self, *_):
        self._structure_timer.start()  # a paste or an import emits once per track: rebuild once

    def _on_region(self, rid: str) -> None:
        i = self.row_of.get(rid)
        if i is None:
            return
        _, r = self.rows[i]
        neighbours_ok = not self.natural_order or (
            (i == 0 or self.rows[i - 1][1].start <= r.start)
            and (i == len(self.rows) - 1 or r.start <= self.rows[i + 1][1].start))
        if not neighbours_ok:
            self._structure_timer.start()
            return
        self._recheck_all()
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
        self.dataChanged.emit(self.index(0, COL_ISSUES), self.index(len(self.rows) - 1, COL_ISSUES))

    def _on_status(self, rid: str) -> None:
        i = self.row_of.get(rid)
        if i is not None:
            self.dataChanged.emit(self.index(i, COL_STATUS), self.index(i, COL_STATUS))

    def _on_bounds(self) -> None:
        self._bounds_timer.start()

    def recheck(self) -> None:
        self._recheck_all()
        if self.rows:
            self.dataChanged.emit(self.index(0, COL_ISSUES), self.index(len(self.rows) - 1, COL_ISSUES))

    def set_max_cps(self, value: float) -> None:
        self.max_cps = float(value)
        self.recheck()

    def _shortest(self, track, region) -> float | None:
        if self.renderer is None or not region.text.strip() or region.duration_mode != "fit":
            return None
        got = self.renderer.bounds(region.text, region.voice or track.default_voice, region.emotion or None)
        return got[1] if got is not None and got[1] > 0 else None

    def _recheck_all(self) -> None:
        spans = [(r.start, r.end, r.id, t.id) for t, r in self.rows]
        self._overlaps = overlapping_ids(spans)
        names = {r.id: t.name for t, r in self.rows}
        self._issues = {}
        for t, r in self.rows:
            other = self._overlaps.get(r.id)
            found = line_issues(r.duration, r.text, r.duration_mode, other, self._shortest(t, r), self.max_cps,
                                f"a line on {names.get(other, '')}" if other else "")
            if found:
                self._issues[r.id] = found

    def issues(self, rid: str) -> list:
        return self._issues.get(rid, [])

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index):
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsEditable if index.column() == COL_TEXT else f

    def _value(self, row: int, col: int):
        """(display text, sort value) of a cell."""
        t, r = self.rows[row]
        name = COLUMNS[col]
        if name == "#":
            return row + 1, row + 1
        if name == "Start":
            return format_tc(r.start, self.doc.project.fps), r.start
        if name == "End":
            return format_tc(r.end, self.doc.project.fps), r.end
        if name == "Length":
            return f"{r.duration:.2f}", r.duration
        if name == "CPS":
            c = chars_per_second(r.text, r.duration)
            return (f"{c:.1f}" if c else ""), c
        if name == "Issues":
            issues = self._issues.get(r.id, [])
            return "; ".join(i.text for i in issues), len(issues)
        v = self._sort_value((t, r), col)
        return v, v

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = self._value(row, col)[0]
            return text if role == Qt.ItemDataRole.DisplayRole or col in (COL_TEXT, COL_ORIGINAL, COL_ISSUES) else None
        if role == Qt.ItemDataRole.EditRole:
            return self.rows[row][1].text if col == COL_TEXT else None
        if role == SORT_ROLE:
            return self._value(row, col)[1]
        if role == ID_ROLE:
            return self.rows[row][1].id
        if role == Qt.ItemDataRole.ForegroundRole:
            rid = self.rows[row][1].id
            if col == COL_ISSUES or (col == COL_CPS and any(i.kind == "fast" for i in self._issues.get(rid, []))):
                return QBrush(ISSUE_COLOR)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != COL_TEXT:
            return False
        r = self.rows[index.row()][1]
        if value == r.text:
            return False
        self.doc.push(cmd.SetRegionText(self.doc, r.id, str(value)))
        return True


class LineFilter(QSortFilterProxyModel):
    """Track, status, issues-only and text filters over the line list model."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDynamicSortFilter(False)
        self.track_id: str | None = None
        self.status: str | None = None
        self.issues_only = False
        self.text = ""

    def set_filters(self, track_id=None, status=None, issues_only=False, text="") -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+: invalidateFilter is deprecated
            self.beginFilterChange()
        self.track_id, self.status, self.issues_only, self.text = track_id, status, issues_only, text.casefold()
        if hasattr(self, "endFilterChange"):
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateFilter()

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)  # the source sorts itself (fast); the proxy only filters

    def filterAcceptsRow(self, row: int, parent) -> bool:
        m: LineListModel = self.sourceModel()
        t, r = m.rows[row]
        if self.track_id and t.id != self.track_id:
            return False
        if self.status and (m.renderer.status(r.id) if m.renderer is not None else "") != self.status:
            return False
        if self.issues_only and r.id not in m._issues:
            return False
        if not self.text or self.text in r.text.casefold():
            return True
        src = getattr(r, "source", None)
        return src is not None and self.text in src.text.casefold()


class LineListWidget(QWidget):
    seekRequested = Signal(float)
    message = Signal(str)

    def __init__(self, doc: Document, renderer=None, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.renderer = renderer
        self._syncing = False
        self.model = LineListModel(doc, renderer, self)
        self.proxy = LineFilter(self)
        self.proxy.setSourceModel(self.model)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        self._build_filters(lay)
        self._build_find_bar(lay)
        self._build_table(lay)
        self._connect(doc)
        self._fill_tracks()

    # ------------------------------------------------------------ construction
    def _build_filters(self, lay: QVBoxLayout) -> None:
        """Track, status and issues filters, the text filter and the reading-speed limit."""
        bar = QHBoxLayout()
        self.track_filter = QComboBox()
        self.track_filter.setToolTip("Show the lines of one track")
        self.status_filter = QComboBox()
        self.status_filter.addItem("Any status", None)
        for s in ("empty", "queued", "rendering", "ready", "stale", "failed"):
            self.status_filter.addItem(s, s)
        self.issues_only = QCheckBox("Issues only")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter lines…")
        self.search.setClearButtonEnabled(True)
        self.cps = QDoubleSpinBox()
        self.cps.setRange(1.0, 60.0)
        self.cps.setValue(DEFAULT_MAX_CPS)
        self.cps.setSuffix(" cps max")
        self.cps.setToolTip("Reading speed above which a line is flagged (characters per second)")
        for w in (self.track_filter, self.status_filter, self.issues_only):
            bar.addWidget(w)
        bar.addStretch(1)
        lay.addLayout(bar)
        bar2 = QHBoxLayout()  # a second row: the dock is often narrow
        bar2.addWidget(self.search, 1)
        bar2.addWidget(self.cps)
        lay.addLayout(bar2)

    def _build_find_bar(self, lay: QVBoxLayout) -> None:
        """Find and replace (Ctrl+F shows it, Escape hides it)."""
        self.find_bar = QWidget()
        fbl = QVBoxLayout(self.find_bar)
        fbl.setContentsMargins(0, 0, 0, 0)
        fbl.setSpacing(2)
        fb = QHBoxLayout()
        fb2 = QHBoxLayout()  # two rows, so a narrow dock shows the fields whole
        fbl.addLayout(fb)
        fbl.addLayout(fb2)
        self.find_edit = QLineEdit()
        self.find_edit.setPlaceholderText("Find")
        self.replace_edit = QLineEdit()
        self.replace_edit.setPlaceholderText("Replace with")
        self.regex = QCheckBox("Regex")
        self.scope = QComboBox()
        self.scope.addItem("All tracks", "all")
        self.scope.addItem("Current track", "track")
        self.find_next_button = QPushButton("Find Next")
        self.replace_button = QPushButton("Replace")
        self.replace_all_button = QPushButton("Replace All")
        for w in (self.find_edit, self.replace_edit):
            fb.addWidget(w, 1)
        for w in (self.regex, self.scope, self.find_next_button, self.replace_button, self.replace_all_button):
            fb2.addWidget(w)
        lay.addWidget(self.find_bar)
        self.find_bar.hide()

    def _build_table(self, lay: QVBoxLayout) -> None:
        self.table = QTableView()
        self.table.setObjectName("lineTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, w in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(col, w)
        lay.addWidget(self.table, 1)
        self.summary = QLabel("")
        lay.addWidget(self.summary)

    def _connect(self, doc: Document) -> None:
        self.table.selectionModel().selectionChanged.connect(self._on_rows_selected)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        doc.selectionChanged.connect(self._follow_doc_selection)
        doc.tracksChanged.connect(self._fill_tracks)
        doc.projectReplaced.connect(self._fill_tracks)
        self.model.modelReset.connect(self._update_summary)
        self.model.dataChanged.connect(lambda *_: self._update_summary())
        self.track_filter.currentIndexChanged.connect(self.apply_filters)
        self.status_filter.currentIndexChanged.connect(self.apply_filters)
        self.issues_only.toggled.connect(self.apply_filters)
        self.search.textChanged.connect(self.apply_filters)
        self.cps.valueChanged.connect(self.model.set_max_cps)
        self.find_next_button.clicked.connect(self.find_next)
        self.replace_button.clicked.connect(self.replace_current)
        self.replace_all_button.clicked.connect(self.replace_all)
        self.find_edit.returnPressed.connect(self.find_next)
        sc = QShortcut(QKeySequence("Ctrl+F"), self, self.show_find)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        esc = QShortcut(QKeySequence("Escape"), self.find_bar, self.find_bar.hide)
        esc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # ------------------------------------------------------------ filters
    def _fill_tracks(self) -> None:
        keep = self.track_filter.currentData()
        self.track_filter.blockSignals(True)
        self.track_filter.clear()
        self.track_filter.addItem("All tracks", None)
        for t in self.doc.project.tracks:
            self.track_filter.addItem(t.name, t.id)
        i = self.track_filter.findData(keep)
        self.track_filter.setCurrentIndex(max(0, i))
        self.track_filter.blockSignals(False)
        self.apply_filters()

    def apply_filters(self, *_):
        self.proxy.set_filters(self.track_filter.currentData(), self.status_filter.currentData(),
                               self.issues_only.isChecked(), self.search.text())
        self._update_summary()

    def _update_summary(self) -> None:
        n, shown = len(self.model.rows), self.proxy.rowCount()
        flagged = len(self.model._issues)
        self.summary.setText(f"{shown} of {n} lines" + (f" · {flagged} with issues" if flagged else ""))
        # the Original column only where some line was transcribed from the source
        has_source = any(getattr(r, "source", None) is not None for _, r in self.model.rows)
        self.table.setColumnHidden(COL_ORIGINAL, not has_source)

    # ------------------------------------------------------------ selection <-> document
    def _rid(self, proxy_row: int) -> str | None:
        return self.proxy.index(proxy_row, 0).data(ID_ROLE)

    def _on_current_row(self, current, _previous) -> None:
        if self._syncing or not current.isValid():
            return
        rid = current.data(ID_ROLE)
        region = self.doc.region(rid)
        if region is None:
            return
        self._syncing = True
        try:
            rows = {i.row() for i in self.table.selectionModel().selectedRows()} | {current.row()}
            ids = [self._rid(r) for r in sorted(rows)]
            self.doc.select([i for i in ids if i], rid)
        finally:
            self._syncing = False
        self.seekRequested.emit(region.start)

    def _on_rows_selected(self, *_):
        if self._syncing:
            return
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        if not rows:
            return
        cur = self.table.currentIndex()
        current = cur.data(ID_ROLE) if cur.isValid() else None
        self._syncing = True
        try:
            self.doc.select([self._rid(r) for r in rows], current)
        finally:
            self._syncing = False

    def _follow_doc_selection(self) -> None:
        if self._syncing:
            return
        sm = self.table.selectionModel()
        self._syncing = True
        try:
            from PySide6.QtCore import QItemSelection, QItemSelectionModel

            sel = QItemSelection()
            for rid in self.doc.selected_ids:
                row = self.model.row_of.get(rid)
                if row is None:
                    continue
                idx = self.proxy.mapFromSource(self.model.index(row, 0))
                if idx.isValid():
                    sel.select(idx, idx.siblingAtColumn(len(COLUMNS) - 1))
            sm.select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            cur = self.doc.current_region_id
            row = self.model.row_of.get(cur) if cur else None
            if row is not None:
                idx = self.proxy.mapFromSource(self.model.index(row, 0))
                if idx.isValid():
                    sm.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.NoUpdate)
                    self.table.scrollTo(idx)
        finally:
            self._syncing = False

    # ------------------------------------------------------------ find / replace
    def show_find(self) -> None:
        self.find_bar.show()
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def _pattern(self):
        try:
            return compile_find(self.find_edit.text(), self.regex.isChecked())
        except ValueError as e:
            self.message.emit(str(e))
            return None

    def _scope_rows(self) -> list[tuple]:
        rows = self.model.rows
        if self.scope.currentData() == "track":
            track = self.doc.active_track()
            rows = [tr for tr in rows if track is not None and tr[0].id == track.id]
        return rows

    def find_next(self) -> bool:
        pat = self._pattern()
        if pat is None or not self.find_edit.text():
            return False
        rows = self._scope_rows()
        cur = self.doc.current_region_id
        start = next((i + 1 for i, (_, r) in enumerate(rows) if r.id == cur), 0)
        for k in range(len(rows)):
            _, r = rows[(start + k) % len(rows)]
            if pat.search(r.text):
                self.doc.select([r.id], r.id)
                self.seekRequested.emit(r.start)
                return True
        self.message.emit(f"“{self.find_edit.text()}” not found")
        return False

    def replace_current(self) -> bool:
        pat = self._pattern()
        r = self.doc.current_region()
        if pat is None or r is None:
            return False
        try:
            new, n = replace_text(r.text, pat, self.replace_edit.text(), self.regex.isChecked())
        except ValueError as e:
            self.message.emit(str(e))
            return False
        if n:
            self.doc.push(cmd.SetRegionText(self.doc, r.id, new))
        self.find_next()
        return bool(n)

    def replace_all(self) -> int:
        pat = self._pattern()
        if pat is None or not self.find_edit.text():
            return 0
        texts, total = {}, 0
        for _, r in self._scope_rows():
            try:
                new, n = replace_text(r.text, pat, self.replace_edit.text(), self.regex.isChecked())
            except ValueError as e:
                self.message.emit(str(e))
                return 0
            if n:
                texts[r.id] = new
                total += n
        if texts:
            self.doc.push(SetRegionTexts(self.doc, texts, f"Replace {total} occurrence{'s' if total != 1 else ''} "
                                                          f"in {len(texts)} line{'s' if len(texts) != 1 else ''}"))
        self.message.emit(f"Replaced {total} occurrence{'s' if total != 1 else ''} in {len(texts)} "
                          f"line{'s' if len(texts) != 1 else ''}")
        return total


__all__ = ["LineListWidget", "LineListModel", "LineFilter", "COLUMNS", "emotion_label"]

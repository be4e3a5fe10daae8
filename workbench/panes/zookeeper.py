"""The ZooKeeper pane: a lazy tree with paged children, the node's data (text, JSON, hex), stat, ACLs, its meaning
in Kafka's terms, create/edit/delete with confirmation, and the server's srvr/mntr.

The tree model asks for a node's children only when the view expands it
(canFetchMore/fetchMore emit `children_requested`); the answer comes back through
`show_children`, which inserts one page and a "… N more" row that loads the next
page on double-click. The pane tells the composition root which nodes stop being
shown (`node_hidden`), so ZooKeeper watches stay on visible nodes only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import Problem
from workbench.services.zk import ZNode
from workbench.services.zk_kafka import KafkaMeaning, as_hex, as_json, as_text
from workbench.ui.models import RowTableModel
from workbench.ui.widgets import ProblemBanner

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def child_path(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


@dataclasses.dataclass(eq=False)
class _Node:
    name: str
    path: str
    parent: _Node | None
    children: list[_Node] | None = None  # None: not loaded yet
    names: list[str] | None = None  # every child name (the loaded pages are a prefix)
    loading: bool = False
    more: bool = False  # the "… N more" row

    def row(self) -> int:
        if self.parent is None or self.parent.children is None:
            return 0
        for i, c in enumerate(self.parent.children):
            if c is self:
                return i
        return 0


class ZkTreeModel(QAbstractItemModel):
    children_requested = Signal(str)

    def __init__(self, page_size: int = 200) -> None:
        super().__init__()
        self.page_size = page_size
        self._invisible = _Node("", "", None, children=[])
        self._by_path: dict[str, _Node] = {}
        self.reset_root()

    def reset_root(self) -> None:
        self.beginResetModel()
        root = _Node("/", "/", self._invisible)
        self._invisible.children = [root]
        self._by_path = {"/": root}
        self.endResetModel()

    def _node(self, index: Index) -> _Node:
        if not index.isValid():
            return self._invisible
        node = index.internalPointer()
        assert isinstance(node, _Node)
        return node

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self._node(parent)
        if column != 0 or node.children is None or not 0 <= row < len(node.children):
            return QModelIndex()
        return self.createIndex(row, 0, node.children[row])

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self._node(index)
        parent = node.parent
        if parent is None or parent is self._invisible:
            return QModelIndex()
        return self.createIndex(parent.row(), 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self._node(parent)
        return len(node.children) if node.children is not None else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        node = self._node(parent)
        if node.more:
            return False
        return node.children is None or len(node.children) > 0

    def canFetchMore(self, parent: Index) -> bool:
        node = self._node(parent)
        return node is not self._invisible and not node.more and node.children is None and not node.loading

    def fetchMore(self, parent: Index) -> None:
        node = self._node(parent)
        if node is self._invisible or node.more or node.children is not None or node.loading:
            return
        node.loading = True
        self.children_requested.emit(node.path)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and section == 0:
            return "Node"
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        if role == DISPLAY:
            return node.name
        if role == PATH_ROLE:
            return None if node.more else node.path
        if role == Qt.ItemDataRole.FontRole and node.more:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- changes from the pane -------------------------------------------------------------

    def index_of(self, path: str) -> QModelIndex:
        node = self._by_path.get(path)
        if node is None or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.row(), 0, node)

    def fail(self, path: str) -> None:
        """Loading the children of path failed: allow another try."""
        node = self._by_path.get(path)
        if node is not None:
            node.loading = False

    def set_children(self, path: str, names: list[str]) -> None:
        """Show a node's children: the first page on first load; on reload a merge that keeps rows (and so the
        selection and expanded subtrees) of children that are still there."""
        node = self._by_path.get(path)
        if node is None:
            return
        node.loading = False
        parent = self.index_of(path)
        names = sorted(names)
        node.names = list(names)
        if node.children is None:
            node.children = []
            first = names[:self.page_size]
            if first:
                self._insert(node, parent, first, len(names) - len(first))
            else:
                self.dataChanged.emit(parent, parent)  # the expander goes: no children after all
            return
        children = node.children
        if children and children[-1].more:
            self.beginRemoveRows(parent, len(children) - 1, len(children) - 1)
            children.pop()
            self.endRemoveRows()
        target = names[:max(self.page_size, len(children))]
        keep = set(target)
        for row in range(len(children) - 1, -1, -1):
            if children[row].name not in keep:
                self.beginRemoveRows(parent, row, row)
                gone = children.pop(row)
                self._by_path.pop(gone.path, None)
                self._forget(gone)
                self.endRemoveRows()
        for row, name in enumerate(target):
            if row < len(children) and children[row].name == name:
                continue
            child = _Node(name, child_path(path, name), node)
            self.beginInsertRows(parent, row, row)
            children.insert(row, child)
            self._by_path[child.path] = child
            self.endInsertRows()
        remaining = len(names) - len(target)
        if remaining > 0:
            self._insert(node, parent, [], remaining)

    def _insert(self, node: _Node, parent: QModelIndex, names: list[str], remaining: int) -> None:
        assert node.children is not None
        start = len(node.children)
        new = [_Node(n, child_path(node.path, n), node) for n in names]
        if remaining > 0:
            new.append(_Node(f"… {remaining:,} more (double-click to load)", "", node, more=True))
        if not new:
            return
        self.beginInsertRows(parent, start, start + len(new) - 1)
        node.children.extend(new)
        for c in new:
            if not c.more:
                self._by_path[c.path] = c
        self.endInsertRows()

    def load_more(self, index: Index) -> None:
        marker = self._node(index)
        node = marker.parent
        if not marker.more or node is None or node.children is None or node.names is None:
            return
        parent = self.index_of(node.path)
        row = marker.row()
        self.beginRemoveRows(parent, row, row)
        node.children.pop(row)
        self.endRemoveRows()
        shown = len(node.children)
        page = node.names[shown:shown + self.page_size]
        self._insert(node, parent, page, len(node.names) - shown - len(page))

    def _forget(self, node: _Node) -> None:
        for c in node.children or []:
            self._by_path.pop(c.path, None)
            self._forget(c)

    def loaded_paths(self) -> list[str]:
        return sorted(p for p, n in self._by_path.items() if n.children is not None)

    def children_of(self, path: str) -> list[str]:
        node = self._by_path.get(path)
        return [c.name for c in node.children or [] if not c.more] if node is not None else []


class CreateNodeDialog(QDialog):
    def __init__(self, parent_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create node")
        self.parent_path = parent_path
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.data = QPlainTextEdit()
        self.data.setFixedHeight(100)
        form.addRow("Parent", QLabel(parent_path))
        form.addRow("Name", self.name)
        form.addRow("Data (UTF-8)", self.data)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @property
    def path(self) -> str:
        return child_path(self.parent_path, self.name.text().strip().strip("/"))


class ZooKeeperPane(QWidget):
    children_requested = Signal(str)
    node_requested = Signal(str)
    node_hidden = Signal(str)
    create_requested = Signal(str, bytes)
    save_requested = Signal(str, bytes, int)
    delete_requested = Signal(str, int)
    server_state_requested = Signal(str)
    refresh_requested = Signal()
    shown = Signal(str)

    def __init__(self, page_size: int = 200, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.read_only = False
        self.node: ZNode | None = None
        self.meaning: KafkaMeaning | None = None
        self.model = ZkTreeModel(page_size)
        self.model.children_requested.connect(self.children_requested)

        self.banner = ProblemBanner()
        self.connect_label = QLabel("")
        self.tree = QTreeView()
        self.tree.setObjectName("zk-tree")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setHeaderHidden(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.tree.doubleClicked.connect(self._double_clicked)
        self.tree.collapsed.connect(self._collapsed)

        self.path_label = QLabel("Select a node")
        font = self.path_label.font()
        font.setBold(True)
        font.setPointSize(font.pointSize() + 1)
        self.path_label.setFont(font)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meaning_label = QLabel("")
        self.meaning_label.setObjectName("kafka-meaning")
        self.meaning_label.setWordWrap(True)
        self.meaning_model = RowTableModel(("Kafka", "Value"))
        self.meaning_view = self._table(self.meaning_model, "kafka-rows")

        self.mode = QComboBox()
        self.mode.addItems(["Text", "JSON", "Hex"])
        self.mode.currentTextChanged.connect(lambda _t: self._render_data())
        self.data_view = QPlainTextEdit()
        self.data_view.setObjectName("zk-data")
        self.data_view.setReadOnly(True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.data_view.setFont(mono)
        self.edit_button = QPushButton("Edit")
        self.edit_button.setCheckable(True)
        self.edit_button.toggled.connect(self._toggle_edit)
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self._ask_save)
        self.stat_model = RowTableModel(("Stat", "Value"))
        self.acl_model = RowTableModel(("ACL",))

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.create_button = QPushButton("Create child…")
        self.create_button.clicked.connect(self._ask_create)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self._ask_delete)

        self.server_text = QPlainTextEdit()
        self.server_text.setObjectName("server-state")
        self.server_text.setReadOnly(True)
        self.server_text.setFont(mono)
        srvr = QPushButton("srvr")
        mntr = QPushButton("mntr")
        srvr.clicked.connect(lambda: self.server_state_requested.emit("srvr"))
        mntr.clicked.connect(lambda: self.server_state_requested.emit("mntr"))

        data_page = QWidget()
        dv = QVBoxLayout(data_page)
        drow = QHBoxLayout()
        drow.addWidget(QLabel("Show as"))
        drow.addWidget(self.mode)
        drow.addStretch(1)
        drow.addWidget(self.edit_button)
        drow.addWidget(self.save_button)
        dv.addLayout(drow)
        dv.addWidget(self.data_view, 1)
        kafka_page = QWidget()
        kv = QVBoxLayout(kafka_page)
        kv.addWidget(self.meaning_label)
        kv.addWidget(self.meaning_view, 1)
        server_page = QWidget()
        sv = QVBoxLayout(server_page)
        srow = QHBoxLayout()
        srow.addWidget(srvr)
        srow.addWidget(mntr)
        srow.addStretch(1)
        sv.addLayout(srow)
        sv.addWidget(self.server_text, 1)
        self.details = QTabWidget()
        self.details.addTab(kafka_page, "Kafka")
        self.details.addTab(data_page, "Data")
        self.details.addTab(self._table(self.stat_model, "zk-stat"), "Stat")
        self.details.addTab(self._table(self.acl_model, "zk-acl"), "ACL")
        self.details.addTab(server_page, "Server")

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.path_label)
        rv.addWidget(self.details, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.connect_label, 1)
        actions.addWidget(self.refresh_button)
        actions.addWidget(self.create_button)
        actions.addWidget(self.delete_button)
        split = QSplitter()
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        browser = QWidget()
        bv = QVBoxLayout(browser)
        bv.setContentsMargins(0, 0, 0, 0)
        bv.addLayout(actions)
        bv.addWidget(split, 1)

        self.unavailable = QLabel("")
        self.unavailable.setObjectName("zk-unavailable")
        self.unavailable.setWordWrap(True)
        self.unavailable.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(browser)
        self.stack.addWidget(self.unavailable)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self._update_actions()

    @staticmethod
    def _table(model: RowTableModel, name: str) -> QTableView:
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        view.setWordWrap(True)
        return view

    # -- data in -------------------------------------------------------------------------

    def show_available(self, connect: str) -> None:
        self.stack.setCurrentIndex(0)
        self.banner.clear()
        self.connect_label.setText(f"ZooKeeper {connect}")
        self.node = None
        self.model.reset_root()
        self.tree.expand(self.model.index_of("/"))
        self.tree.setCurrentIndex(self.model.index_of("/"))
        self.shown.emit("available")

    def show_unavailable(self, text: str) -> None:
        self.unavailable.setText(text)
        self.stack.setCurrentIndex(1)
        self.model.reset_root()
        self.node = None
        self.shown.emit("unavailable")

    @property
    def unavailable_text(self) -> str:
        return self.unavailable.text() if self.stack.currentIndex() == 1 else ""

    def show_children(self, path: str, names: list[str]) -> None:
        self.model.set_children(path, names)
        self.shown.emit(f"children:{path}")

    def show_node(self, node: ZNode, meaning: KafkaMeaning | None) -> None:
        if self.current_path() != node.path:
            return
        self.node, self.meaning = node, meaning
        self.banner.clear()
        self.path_label.setText(node.path)
        self.meaning_label.setText(meaning.title if meaning else "No Kafka meaning known for this node.")
        self.meaning_model.set_rows(list(meaning.rows) if meaning else [])
        if meaning is not None and meaning.rows and self.details.currentIndex() != 0:
            pass
        s = node.stat
        owner = f"0x{s.ephemeral_owner:x} (ephemeral)" if s.ephemeral_owner else "none (persistent)"
        self.stat_model.set_rows([
            ("Data version", s.version), ("Children version (cversion)", s.cversion), ("ACL version", s.aversion),
            ("Created zxid", f"0x{s.czxid:x}"), ("Modified zxid", f"0x{s.mzxid:x}"),
            ("Children zxid (pzxid)", f"0x{s.pzxid:x}"), ("Created", _ms(s.ctime_ms)), ("Modified", _ms(s.mtime_ms)),
            ("Ephemeral owner", owner), ("Data length", s.data_length), ("Children", s.children)])
        self.acl_model.set_rows([(a,) for a in node.acls])
        if not self.edit_button.isChecked():
            self.mode.setCurrentText("JSON" if as_json(node.data) is not None else "Text")
            self._render_data()
        self._update_actions()
        self.shown.emit("node")

    def show_server_state(self, word: str, text: str) -> None:
        self.server_text.setPlainText(f"$ echo {word} | nc\n{text}")
        self.shown.emit("server")

    def show_problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem)
        self.shown.emit("problem")

    def node_changed(self, kind: str, path: str) -> None:
        """A watch fired: reload what is shown of that node."""
        if "CHILD" in kind.upper() and path in self.model.loaded_paths():
            self.children_requested.emit(path)
        if path == self.current_path():
            self.node_requested.emit(path)

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self._update_actions()

    # -- intents out ---------------------------------------------------------------------

    def current_path(self) -> str | None:
        index = self.tree.currentIndex()
        value = self.model.data(index, PATH_ROLE) if index.isValid() else None
        return str(value) if value else None

    def select_path(self, path: str) -> bool:
        index = self.model.index_of(path)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
            return True
        return False

    def expand_path(self, path: str) -> bool:
        index = self.model.index_of(path)
        if index.isValid():
            self.tree.expand(index)
            return True
        return False

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        old = self.model.data(previous, PATH_ROLE) if previous.isValid() else None
        if old:
            self.node_hidden.emit(str(old))
        path = self.current_path()
        self.edit_button.setChecked(False)
        if path is not None:
            self.path_label.setText(path)
            self.node_requested.emit(path)
        self._update_actions()

    def _double_clicked(self, index: QModelIndex) -> None:
        if self.model.data(index, PATH_ROLE) is None:
            self.model.load_more(index)

    def _collapsed(self, index: QModelIndex) -> None:
        path = self.model.data(index, PATH_ROLE)
        if path:
            self.node_hidden.emit(f"children:{path}")

    def _render_data(self) -> None:
        data = self.node.data if self.node is not None else None
        mode = self.mode.currentText()
        if mode == "JSON":
            pretty = as_json(data)
            text = pretty if pretty is not None else "(not JSON)\n\n" + as_text(data)
        elif mode == "Hex":
            text = as_hex(data)
        else:
            text = as_text(data)
        self.data_view.setPlainText(text)

    def _toggle_edit(self, on: bool) -> None:
        if on and self.node is not None:
            self.mode.setCurrentText("Text")
            self.data_view.setPlainText(as_text(self.node.data) if self.node.data is not None else "")
        self.data_view.setReadOnly(not on)
        self._update_actions()
        if not on:
            self._render_data()

    def _ask_save(self) -> None:
        if self.node is None or self.read_only:
            return
        node = self.node
        data = self.data_view.toPlainText().encode()
        answer = QMessageBox.question(self, "Save node", f"Write {len(data)} bytes to {node.path} "
                                      f"(only if it is still at version {node.stat.version})?")
        if answer == QMessageBox.StandardButton.Yes:
            self.save_requested.emit(node.path, data, node.stat.version)
            self.edit_button.setChecked(False)

    def _ask_create(self) -> None:
        parent = self.current_path()
        if parent is None or self.read_only:
            return
        dlg = CreateNodeDialog(parent, self)
        dlg.accepted.connect(lambda: self.create_requested.emit(dlg.path, dlg.data.toPlainText().encode()))
        dlg.open()

    def _ask_delete(self) -> None:
        if self.node is None or self.read_only or self.node.path == "/":
            return
        node = self.node
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete node",
                          f"Delete {node.path}? Kafka may depend on it. This cannot be undone.",
                          QMessageBox.StandardButton.Cancel, self)
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda b: self.delete_requested.emit(node.path, node.stat.version)
                                  if b is delete else None)
        box.open()

    def _update_actions(self) -> None:
        writable = not self.read_only
        has = self.node is not None
        self.create_button.setEnabled(writable and self.current_path() is not None)
        self.delete_button.setEnabled(writable and has and self.node is not None and self.node.path != "/" and
                                      (self.node.stat.children == 0))
        self.edit_button.setEnabled(writable and has)
        self.save_button.setEnabled(writable and has and self.edit_button.isChecked())
        tip = "This profile is read-only." if self.read_only else ""
        for b in (self.create_button, self.delete_button, self.edit_button, self.save_button):
            b.setToolTip(tip)


def _ms(ms: int) -> str:
    import datetime

    if not ms:
        return "0"
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"

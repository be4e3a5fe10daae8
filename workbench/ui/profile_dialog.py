"""The connection profile editor: bootstrap, SASL, TLS, extra properties, ZooKeeper, read-only; test and save."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.services.connection import REGISTRY_AUTHS, SASL_MECHANISMS, ConnectionSpec


class ProfileDialog(QDialog):
    test_requested = Signal(object)
    save_requested = Signal(object)
    registry_test_requested = Signal(object)

    def __init__(self, spec: ConnectionSpec | None = None, secrets_note: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connection profile")
        self.resize(560, 820)
        spec = spec or ConnectionSpec(name="", bootstrap="")
        self.name = QLineEdit(spec.name)
        self.bootstrap = QLineEdit(spec.bootstrap)
        self.bootstrap.setPlaceholderText("host1:9092,host2:9092")
        self.mechanism = QComboBox()
        self.mechanism.addItems([m or "none" for m in SASL_MECHANISMS])
        self.mechanism.setCurrentText(spec.sasl_mechanism or "none")
        self.username = QLineEdit(spec.sasl_username)
        self.password = QLineEdit(spec.sasl_password)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.tls = QCheckBox("Use TLS")
        self.tls.setChecked(spec.tls)
        self.ca = QLineEdit(spec.tls_ca_path)
        self.cert = QLineEdit(spec.tls_cert_path)
        self.key = QLineEdit(spec.tls_key_path)
        self.key_password = QLineEdit(spec.tls_key_password)
        self.key_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.extra = QPlainTextEdit("\n".join(f"{k}={v}" for k, v in spec.extra.items()))
        self.extra.setFixedHeight(70)
        self.zookeeper = QLineEdit(spec.zookeeper)
        self.zookeeper.setPlaceholderText("optional: zk1:2181,zk2:2181/chroot")
        self.read_only = QCheckBox("Read-only (disable every action that changes the cluster)")
        self.read_only.setChecked(spec.read_only)
        self.registry_url = QLineEdit(spec.registry_url)
        self.registry_url.setObjectName("registry-url")
        self.registry_url.setPlaceholderText("optional: https://registry:8081 (Confluent-compatible API)")
        self.registry_auth = QComboBox()
        self.registry_auth.setObjectName("registry-auth")
        for key, label in REGISTRY_AUTHS.items():
            self.registry_auth.addItem(label, key)
        self.registry_auth.setCurrentIndex(max(0, self.registry_auth.findData(spec.registry_auth)))
        self.registry_username = QLineEdit(spec.registry_username)
        self.registry_username.setToolTip("Basic: the user name. Bearer: the logical cluster (Confluent Cloud), if any")
        self.registry_password = QLineEdit(spec.registry_password)
        self.registry_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.registry_token = QLineEdit(spec.registry_token)
        self.registry_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.registry_ca = QLineEdit(spec.registry_ca_path)
        self.registry_ca.setPlaceholderText("optional: a CA certificate (PEM) for the registry's TLS")
        self.registry_test_button = QPushButton("Test registry")
        self.registry_test_button.setObjectName("registry-test")
        self.registry_test_button.clicked.connect(lambda: self.registry_test_requested.emit(self.spec()))
        self.result_label = QLabel("")
        self.result_label.setObjectName("test-result")
        self.result_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Bootstrap servers", self.bootstrap)
        sasl = QGroupBox("SASL")
        sf = QFormLayout(sasl)
        sf.addRow("Mechanism", self.mechanism)
        sf.addRow("User name", self.username)
        sf.addRow("Password", self.password)
        tls = QGroupBox("TLS")
        tf = QFormLayout(tls)
        tf.addRow(self.tls)
        tf.addRow("CA certificate (PEM)", self.ca)
        tf.addRow("Client certificate (PEM)", self.cert)
        tf.addRow("Client key (PEM)", self.key)
        tf.addRow("Key password", self.key_password)
        registry = QGroupBox("Schema Registry")
        rf = QFormLayout(registry)
        rf.addRow("URL", self.registry_url)
        rf.addRow("Authentication", self.registry_auth)
        rf.addRow("User name / logical cluster", self.registry_username)
        rf.addRow("Password", self.registry_password)
        rf.addRow("Bearer token", self.registry_token)
        rf.addRow("CA certificate (PEM)", self.registry_ca)
        rf.addRow("", self.registry_test_button)
        more = QFormLayout()
        more.addRow("Extra client properties", self.extra)
        more.addRow("ZooKeeper", self.zookeeper)
        more.addRow(self.read_only)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(sasl)
        layout.addWidget(tls)
        layout.addWidget(registry)
        layout.addLayout(more)
        if secrets_note:
            note = QLabel(secrets_note)
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self.result_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.test_button = QPushButton("Test connection")
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.test_button.clicked.connect(lambda: self.test_requested.emit(self.spec()))
        buttons.accepted.connect(lambda: self.save_requested.emit(self.spec()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def spec(self) -> ConnectionSpec:
        extra = {}
        for line in self.extra.toPlainText().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip():
                extra[key.strip()] = value.strip()
        mech = self.mechanism.currentText()
        return ConnectionSpec(
            name=self.name.text().strip(), bootstrap=self.bootstrap.text().strip(),
            sasl_mechanism="" if mech == "none" else mech, sasl_username=self.username.text(),
            sasl_password=self.password.text(), tls=self.tls.isChecked(), tls_ca_path=self.ca.text().strip(),
            tls_cert_path=self.cert.text().strip(), tls_key_path=self.key.text().strip(),
            tls_key_password=self.key_password.text(), extra=extra, zookeeper=self.zookeeper.text().strip(),
            read_only=self.read_only.isChecked(), registry_url=self.registry_url.text().strip(),
            registry_auth=str(self.registry_auth.currentData() or ""), registry_username=self.registry_username.text(),
            registry_password=self.registry_password.text(), registry_token=self.registry_token.text(),
            registry_ca_path=self.registry_ca.text().strip())

    def show_result(self, text: str, ok: bool) -> None:
        self.result_label.setText(("✔ " if ok else "✘ ") + text)

/**
 * A stand-in for the `electron` module (vi.mock), with just what main/electron and the preload use. Objects record
 * what they were given so tests can check window options, handlers and menus.
 */
import { type Mock, vi } from 'vitest';

type Listener = (...args: unknown[]) => void;

export class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, l: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), l]);
    return this;
  }
  once(event: string, l: Listener): this {
    return this.on(event, l);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) l(...args);
  }
}

export class FakeWebContents extends Emitter {
  static nextId = 1;
  id = FakeWebContents.nextId++;
  destroyed = false;
  sent: [string, unknown][] = [];
  windowOpenHandler: ((d: { url: string }) => { action: string }) | undefined;
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export class FakeBrowserWindow extends Emitter {
  static created: FakeBrowserWindow[] = [];
  webContents = new FakeWebContents();
  loaded: string | undefined;
  destroyed = false;
  readonly options: Record<string, unknown>;
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    FakeBrowserWindow.created.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loaded = url;
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  show(): void {}
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
}

export class FakeTray extends Emitter {
  static created: FakeTray[] = [];
  image: unknown;
  tooltip = '';
  title = '';
  menu: unknown;
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    FakeTray.created.push(this);
  }
  setImage(i: unknown): void {
    this.image = i;
  }
  setToolTip(t: string): void {
    this.tooltip = t;
  }
  setTitle(t: string): void {
    this.title = t;
  }
  setContextMenu(m: unknown): void {
    this.menu = m;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export class FakeNotification extends Emitter {
  static created: FakeNotification[] = [];
  static supported = true;
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  readonly options: { title: string; body: string; urgency?: string };
  shown = false;
  constructor(options: { title: string; body: string; urgency?: string }) {
    super();
    this.options = options;
    FakeNotification.created.push(this);
  }
  show(): void {
    this.shown = true;
  }
}

/**
 * safeStorage with a toy cipher (base64 of the reversed bytes behind a marker) so tests can tell sealed from plain
 * text; `backend` and `available` play the Linux keychain's presence.
 */
export const fakeSafeStorage = {
  available: true,
  backend: 'gnome_libsecret' as string,
  isAsyncEncryptionAvailable: (): Promise<boolean> => Promise.resolve(fakeSafeStorage.available),
  getSelectedStorageBackend: (): string => fakeSafeStorage.backend,
  encryptStringAsync: (text: string): Promise<Buffer> =>
    Promise.resolve(Buffer.from(`sealed:${Buffer.from(text).reverse().toString('base64')}`)),
  decryptStringAsync: (data: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> => {
    const s = data.toString();
    if (!s.startsWith('sealed:')) return Promise.reject(new Error('Error while decrypting the ciphertext'));
    return Promise.resolve({ result: Buffer.from(s.slice(7), 'base64').reverse().toString(), shouldReEncrypt: false });
  },
};

export const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();

type Fn = Mock<(...args: unknown[]) => unknown>;

export interface ElectronStub {
  BrowserWindow: typeof FakeBrowserWindow;
  Tray: typeof FakeTray;
  Menu: { buildFromTemplate(template: unknown): unknown; setApplicationMenu: Fn };
  nativeImage: { createFromPath(path: string): unknown };
  shell: { openExternal: Fn; openPath: Fn };
  app: { setBadgeCount: Fn };
  session: { defaultSession: { setPermissionRequestHandler: Fn; setPermissionCheckHandler: Fn } };
  protocol: { registerSchemesAsPrivileged: Fn; handle: Fn };
  ipcMain: {
    handle(channel: string, fn: (event: unknown, payload: unknown) => Promise<unknown>): void;
    removeHandler(channel: string): void;
  };
  contextBridge: { exposeInMainWorld: Fn };
  ipcRenderer: { invoke: Fn; on: Fn; removeListener: Fn };
  Notification: typeof FakeNotification;
  safeStorage: typeof fakeSafeStorage;
}

export const electronStub: ElectronStub = {
  BrowserWindow: FakeBrowserWindow,
  Tray: FakeTray,
  Menu: { buildFromTemplate: (template: unknown) => ({ template }), setApplicationMenu: vi.fn() },
  nativeImage: { createFromPath: (path: string) => ({ path }) },
  shell: {
    openExternal: vi.fn<(...args: unknown[]) => unknown>(() => Promise.resolve()),
    openPath: vi.fn<(...args: unknown[]) => unknown>(() => Promise.resolve('')),
  },
  app: { setBadgeCount: vi.fn() },
  session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() } },
  protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, payload: unknown) => Promise<unknown>) =>
      void handlers.set(channel, fn),
    removeHandler: (channel: string) => void handlers.delete(channel),
  },
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn(), on: vi.fn(), removeListener: vi.fn() },
  Notification: FakeNotification,
  safeStorage: fakeSafeStorage,
};

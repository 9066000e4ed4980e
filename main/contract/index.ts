// The one contract between main and the renderer is declared in this folder (see README).
export {};

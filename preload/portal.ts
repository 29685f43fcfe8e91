// placeholder: the portal preload is built in the app work (see issues)
export {};

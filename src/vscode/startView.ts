import * as vscode from 'vscode';

/**
 * The "Get Started" view of the MinT container. It has no items on purpose: VS Code then shows
 * the view's welcome content (package.json "viewsWelcome"), buttons for the first steps.
 */
export class StartView implements vscode.Disposable {
  private readonly registration = vscode.window.registerTreeDataProvider<never>('mint.start', {
    getTreeItem: (e: never) => e,
    getChildren: () => [],
  });

  dispose(): void {
    this.registration.dispose();
  }
}

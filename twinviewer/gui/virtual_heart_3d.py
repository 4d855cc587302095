"""A virtual heart in a 3D view of its own: the presenter's and side by side's hearts.

These views hold their own :class:`~twinviewer.gui.state.TwinState`, never the window's twin,
so whatever the window holds (a patient's twin, say) is never drawn under a lesson's title.
"""

from __future__ import annotations

from twinviewer.gui.state import TwinState
from twinviewer.teaching.hearts import heart


def show_virtual_heart(doc: TwinState, jobs: TwinState, name: str, results,
                       current_anatomy=None) -> None:
    """Make virtual heart ``name`` (one member, with ``results``) ``doc``'s twin: on its own
    anatomy at once when this process has made it, else on the base anatomy's stand-in
    (:func:`~twinviewer.gui.heart_anatomy.initial_anatomy`; a patient's anatomy is never
    used) until a worker run by ``jobs`` has made its own.

    Examples
    --------
    >>> from twinviewer.gui.side_by_side import predict
    >>> doc = TwinState()
    >>> show_virtual_heart(doc, doc, "severe_as", predict("severe_as"))  # doctest: +SKIP
    >>> doc.twin.origin  # doctest: +SKIP
    'preset:severe_as'
    """
    from twinviewer.gui.heart_anatomy import heart_anatomy, initial_anatomy, remembered
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset(name, n=1, anatomy=initial_anatomy(name, current_anatomy))
    doc.session.open_twin(twin, results=results)
    if remembered(name) is not None:
        return

    def done(anatomy) -> None:
        try:
            current = doc.session.twin
        except RuntimeError:  # the view was closed meanwhile
            return
        if current is twin:  # not another heart since
            doc.session.set_computed_anatomy(anatomy)

    title = heart(name).title
    jobs.run_job(f"Anatomy of the virtual heart “{title}”",
                 lambda p, c: heart_anatomy(name, progress=p, cancel=c), done,
                 lambda e: jobs.warn(f"virtual heart “{title}”: its own anatomy could not be "
                                     f"made ({e})"))
